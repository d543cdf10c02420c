package io.fanout.coordinator.dispatch;

import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireCodec;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends tasks to their pool's task topic, keyed by task id so they spread over its partitions (a
 * retry's key adds its attempt, so it usually lands on another partition, away from an executor
 * that lost it). A task is dispatched once the future {@link #publish} returns is complete without
 * error.
 */
public final class TaskPublisher {

    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;

    public TaskPublisher(Producer<byte[], byte[]> producer, TopicNames topics) {
        this.producer = producer;
        this.topics = topics;
    }

    public Future<RecordMetadata> publish(TaskDispatch d) {
        return producer.send(new ProducerRecord<>(topics.tasks(d.job().pool()), key(d.task().taskId(), d.attempt()), WireCodec.encodeTask(d.record())));
    }

    static byte[] key(UUID id, int attempt) {
        ByteBuffer b = ByteBuffer.allocate(attempt == 0 ? 16 : 20).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
        if (attempt > 0) {
            b.putInt(attempt);
        }
        return b.array();
    }
}
