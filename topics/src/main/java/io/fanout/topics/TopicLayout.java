package io.fanout.topics;

import io.fanout.shared.TopicNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Fanout's topics as code. The jobs and status topics have the same partition count: a job
 * accepted from jobs partition p reports on status partition p, so whoever owns partition p owns
 * the job. Task partitions cap how many executors of the group receive work.
 */
public record TopicLayout(TopicNames names, int coordinatorPartitions, int taskPartitions) {

    public static final int DEFAULT_COORDINATOR_PARTITIONS = 6;
    public static final int DEFAULT_TASK_PARTITIONS = 12;

    public TopicLayout {
        if (coordinatorPartitions < 1) {
            throw new IllegalArgumentException("coordinatorPartitions must be >= 1, got " + coordinatorPartitions);
        }
        if (taskPartitions < 1) {
            throw new IllegalArgumentException("taskPartitions must be >= 1, got " + taskPartitions);
        }
    }

    public static TopicLayout defaults(TopicNames names) {
        return new TopicLayout(names, DEFAULT_COORDINATOR_PARTITIONS, DEFAULT_TASK_PARTITIONS);
    }

    public List<TopicSpec> specs() {
        return List.of(
                new TopicSpec(names.jobs(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.status(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.tasks(), taskPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.jobEvents(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.reduceInputs(), coordinatorPartitions, deleteAfter(Duration.ofDays(2))),
                new TopicSpec(names.deadLetters(), coordinatorPartitions, deleteAfter(Duration.ofDays(30))));
    }

    private static Map<String, String> deleteAfter(Duration retention) {
        return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()));
    }
}
