package io.fanout.topics;

import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;

/**
 * Fanout's topics as code. The jobs and status topics have the same partition count: a job
 * accepted from jobs partition p reports on status partition p, so whoever owns partition p owns
 * the job. Each executor pool has its own task topic; its partitions cap how many executors of
 * the pool receive work.
 *
 * @param pools each pool's task partition count (the default pool's is {@code taskPartitions})
 */
public record TopicLayout(TopicNames names, int coordinatorPartitions, int taskPartitions, Map<String, Integer> pools) {

    public static final int DEFAULT_COORDINATOR_PARTITIONS = 6;
    public static final int DEFAULT_TASK_PARTITIONS = 12;

    public TopicLayout {
        if (coordinatorPartitions < 1) {
            throw new IllegalArgumentException("coordinatorPartitions must be >= 1, got " + coordinatorPartitions);
        }
        if (taskPartitions < 1) {
            throw new IllegalArgumentException("taskPartitions must be >= 1, got " + taskPartitions);
        }
        Map<String, Integer> all = new TreeMap<>(pools);
        all.forEach((pool, n) -> {
            Pools.check(pool);
            if (n < 1) {
                throw new IllegalArgumentException("pool '" + pool + "' needs at least one task partition, got " + n);
            }
        });
        all.put(Pools.DEFAULT, taskPartitions);
        pools = Map.copyOf(all);
    }

    /** The default pool only. */
    public TopicLayout(TopicNames names, int coordinatorPartitions, int taskPartitions) {
        this(names, coordinatorPartitions, taskPartitions, Map.of());
    }

    /** This layout plus a pool with its own task topic of {@code partitions} partitions. */
    public TopicLayout withPool(String pool, int partitions) {
        Map<String, Integer> more = new TreeMap<>(pools);
        more.put(pool, partitions);
        return new TopicLayout(names, coordinatorPartitions, taskPartitions, more);
    }

    public static TopicLayout defaults(TopicNames names) {
        return new TopicLayout(names, DEFAULT_COORDINATOR_PARTITIONS, DEFAULT_TASK_PARTITIONS);
    }

    public List<TopicSpec> specs() {
        List<TopicSpec> specs = new ArrayList<>(List.of(
                new TopicSpec(names.jobs(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.status(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.jobEvents(), coordinatorPartitions, deleteAfter(Duration.ofDays(7))),
                new TopicSpec(names.reduceInputs(), coordinatorPartitions, deleteAfter(Duration.ofDays(2))),
                new TopicSpec(names.deadLetters(), coordinatorPartitions, deleteAfter(Duration.ofDays(30))),
                new TopicSpec(names.parkedLetters(), coordinatorPartitions, deleteAfter(Duration.ofDays(90))),
                new TopicSpec(names.control(), 1, deleteAfter(Duration.ofDays(1))),
                new TopicSpec(names.executors(), 1, Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.1",
                        "delete.retention.ms", Long.toString(Duration.ofHours(1).toMillis())))));
        pools.forEach((pool, partitions) -> specs.add(new TopicSpec(names.tasks(pool), partitions, deleteAfter(Duration.ofDays(7)))));
        return specs;
    }

    private static Map<String, String> deleteAfter(Duration retention) {
        return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()));
    }
}
