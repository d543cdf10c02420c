package io.fanout.bench;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;

/**
 * Waits for the default pool's consumer group to hold every executor started, its partitions
 * shared out (the group stable): a job begun while one still joins has partitions moved mid-run, and the tasks in
 * flight then run twice (at least once, as the contract says), which the benchmark's exactly-once
 * check would report.
 */
final class PoolMembers {

    private PoolMembers() {
    }

    /** Returns once the group is stable with {@code executors} members; {@code check} runs between readings. */
    static void await(String bootstrap, TopicNames topics, int executors, Runnable check) throws InterruptedException {
        String group = Pools.groupId(ExecutorConfig.DEFAULT_GROUP_ID, Pools.DEFAULT);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            while (System.nanoTime() < deadline) {
                check.run();
                if (settled(admin, group, executors)) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(executors + " executors did not join the default pool's group (" + group + ") within 2 minutes");
    }

    private static boolean settled(Admin admin, String group, int executors) throws InterruptedException {
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            return d.groupState() == GroupState.STABLE && d.members().size() == executors; // stable: every member has its assignment
        } catch (ExecutionException e) {
            return false; // the group does not exist yet
        }
    }
}
