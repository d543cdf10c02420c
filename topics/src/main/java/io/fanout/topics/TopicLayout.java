package io.fanout.topics;

import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobRequests;
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
    /** Room in a jobs record besides the request: its key (a UUID), headers and the batch framing. */
    private static final int RECORD_OVERHEAD_BYTES = 16 * 1024;

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
                new TopicSpec(names.jobs(), coordinatorPartitions, jobsConfig()),
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

    /** The jobs topic takes records as large as the largest valid request, with room for the key and headers, and no larger. */
    private static Map<String, String> jobsConfig() {
        Map<String, String> config = new java.util.HashMap<>(deleteAfter(Duration.ofDays(7)));
        config.put("max.message.bytes", Integer.toString(JobRequests.MAX_REQUEST_BYTES + RECORD_OVERHEAD_BYTES));
        return Map.copyOf(config);
    }

    private static Map<String, String> deleteAfter(Duration retention) {
        return Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(retention.toMillis()));
    }
}
