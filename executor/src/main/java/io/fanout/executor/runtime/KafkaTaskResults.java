package io.fanout.executor.runtime;

import io.fanout.executor.api.TaskResults;
import io.fanout.shared.payload.PayloadCodec;
import io.fanout.shared.wire.ReduceInputChunk;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A job's subtask results, read lazily from the reduce-inputs topic: one chunk record at a time,
 * so a reduce over any number of results runs in bounded memory. Only the chunks of the feed the
 * range names count, and a reduce that cannot read exactly the recorded number of results (records
 * deleted, a range that does not hold them) fails loudly rather than reduce over too few.
 */
final class KafkaTaskResults implements TaskResults, AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration STALL_LIMIT = Duration.ofSeconds(60);

    private final Map<String, Object> kafka;
    private final TopicPartition partition;
    private final ReduceInputRange range;
    private final UUID jobId;
    private final PayloadCodec codec;
    private KafkaConsumer<byte[], byte[]> consumer;

    KafkaTaskResults(Map<String, Object> kafka, String topic, ReduceInputRange range, UUID jobId, PayloadCodec codec) {
        this.kafka = kafka;
        this.partition = new TopicPartition(topic, range.partition());
        this.range = range;
        this.jobId = jobId;
        this.codec = codec;
    }

    @Override
    public long count() {
        return range.resultCount();
    }

    @Override
    public Iterator<Object> iterator() {
        if (consumer != null) {
            throw new IllegalStateException("the results of job " + jobId + " are a stream: iterate them once");
        }
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 2 * 1024 * 1024);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"); // a range deleted by retention is an error, never a jump
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fanout-reduce-" + jobId);
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(partition));
        consumer.seek(partition, range.fromOffset());
        return new ChunkIterator();
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private final class ChunkIterator implements Iterator<Object> {
        private final Deque<byte[]> buffered = new ArrayDeque<>();
        private final Deque<ConsumerRecord<byte[], byte[]>> records = new ArrayDeque<>();
        private long position = range.fromOffset();
        private long yielded;

        @Override
        public boolean hasNext() {
            while (buffered.isEmpty()) {
                if (yielded >= range.resultCount()) {
                    return false;
                }
                ConsumerRecord<byte[], byte[]> r = position > range.toOffset() ? null : nextRecord();
                if (r == null || r.offset() > range.toOffset()) {
                    throw new IllegalStateException("reduce inputs of job " + jobId + ": read " + yielded + " of " + range.resultCount()
                            + " results in " + partition + "@" + range.fromOffset() + ".." + range.toOffset() + " (feed " + range.feedId()
                            + "); the reduce does not run over fewer");
                }
                position = r.offset() + 1;
                ReduceInputChunk chunk = WireCodec.decodeReduceInput(r.value());
                if (chunk.jobId().equals(jobId) && (range.feedId() == null || range.feedId().equals(chunk.feedId()))) {
                    buffered.addAll(chunk.results().stream().map(b -> b == null ? NULL : b).toList());
                }
            }
            return true;
        }

        @Override
        public Object next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] b = buffered.poll();
            yielded++;
            return b == NULL ? null : codec.decode(b);
        }

        private ConsumerRecord<byte[], byte[]> nextRecord() {
            long deadline = System.nanoTime() + STALL_LIMIT.toNanos();
            while (records.isEmpty()) {
                consumer.poll(POLL).records(partition).forEach(records::add);
                if (records.isEmpty() && System.nanoTime() > deadline) {
                    throw new IllegalStateException("reduce inputs of job " + jobId + " stalled at " + partition + "@" + position);
                }
            }
            return records.poll();
        }
    }

    private static final byte[] NULL = new byte[0];
}
