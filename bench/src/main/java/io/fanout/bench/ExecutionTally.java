package io.fanout.bench;

import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Checks that every task of a job ran exactly once, from what the executors reported: each run of
 * a task ends with one terminal status event on the status topic, so a task run twice (a record
 * delivered again after a rebalance, say) shows up as two.
 */
final class ExecutionTally {

    private ExecutionTally() {
    }

    /** Reads the whole status topic and fails unless {@code tasks} tasks of the job each finished exactly once. */
    static void checkExactlyOnce(String bootstrap, String statusTopic, UUID jobId, long tasks) {
        Map<UUID, Integer> finished = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(statusTopic).stream()
                    .map(p -> new TopicPartition(statusTopic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (WireCodec.decodeStatus(r.value()) instanceof StatusMessage.StatusBatch b && b.jobId().equals(jobId)) {
                        for (StatusEvent e : b.events()) {
                            if (e.state().isTerminal()) {
                                finished.merge(e.taskId(), 1, Integer::sum);
                            }
                        }
                    }
                }
            }
        }
        long twice = finished.values().stream().filter(n -> n > 1).count();
        if (finished.size() != tasks || twice > 0) {
            throw new IllegalStateException("not exactly once: " + finished.size() + " of " + tasks + " tasks reported finished, " + twice
                    + " of them more than once");
        }
    }
}
