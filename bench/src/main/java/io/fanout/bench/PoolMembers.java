package io.fanout.bench;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import io.fanout.topics.PoolStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Waits for the default pool's consumer group to hold every executor started: a job begun while
 * one still joins has its partitions moved mid-run, and the tasks in flight then run twice (at
 * least once, as the contract says), which the benchmark's exactly-once check would report.
 */
final class PoolMembers {

    private PoolMembers() {
    }

    /** Returns once the group has {@code executors} members; {@code check} runs between readings (it may throw to give up). */
    static void await(String bootstrap, TopicNames topics, int executors, Runnable check) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            while (System.nanoTime() < deadline) {
                check.run();
                List<PoolStatus> pools = PoolStatus.readAll(admin, topics, ExecutorConfig.DEFAULT_GROUP_ID);
                if (pools.stream().anyMatch(p -> p.pool().equals(Pools.DEFAULT) && p.members().size() == executors)) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(executors + " executors did not join the default pool's group within 2 minutes");
    }
}
