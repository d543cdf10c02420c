package io.fanout.bench;

import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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

    /** One terminal report: which executor ran which attempt, and when it ended. */
    private record Report(String executorId, int attempt, long finishedAtMillis) {
    }

    /**
     * Reads the whole status topic and fails unless {@code tasks} tasks of the job each ran exactly
     * once. A report that reached the topic twice (the same executor, attempt and end) is one run;
     * the message then says the first tasks run more than once, with their reports.
     *
     * @return how many finished reports reached the topic a second time
     */
    static long checkExactlyOnce(String bootstrap, String statusTopic, UUID jobId, long tasks) {
        Map<UUID, Set<Report>> finished = new HashMap<>();
        long reports = 0;
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
                                finished.computeIfAbsent(e.taskId(), id -> new HashSet<>()).add(new Report(b.executorId(), e.attempt(), e.timeMillis()));
                                reports++;
                            }
                        }
                    }
                }
            }
        }
        List<Map.Entry<UUID, Set<Report>>> twice = finished.entrySet().stream().filter(e -> e.getValue().size() > 1).toList();
        if (finished.size() != tasks || !twice.isEmpty()) {
            throw new IllegalStateException("not exactly once: " + finished.size() + " of " + tasks + " tasks reported finished, " + twice.size()
                    + " of them run more than once" + (twice.isEmpty() ? "" : ", e.g. " + twice.stream().limit(3).map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining("; "))));
        }
        return reports - finished.size();
    }
}
