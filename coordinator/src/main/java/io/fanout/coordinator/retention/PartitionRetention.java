package io.fanout.coordinator.retention;

import io.fanout.coordinator.RetentionPolicy;
import io.fanout.coordinator.store.RetentionStore;
import io.fanout.shared.metrics.FanoutMeters;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;

/**
 * Deletes the expired jobs, their tasks, the finished workflow runs and the old dead letters of the partitions this
 * coordinator owns, from its own loop (between batches, in the loop's transaction fenced by the
 * partitions' epochs): so a job is never deleted while its owner re-accepts, replays or retries
 * it, since the owner does one thing at a time. One batch of each per round, every
 * {@link RetentionPolicy#interval()}, and at once again while a batch comes back full, so a
 * backlog drains without holding the loop up for long.
 */
public final class PartitionRetention {

    private final RetentionPolicy policy;
    private final FanoutMeters meters;
    private long next;

    public PartitionRetention(RetentionPolicy policy, FanoutMeters meters, long now) {
        this.policy = policy;
        this.meters = meters;
        this.next = now + policy.interval().toMillis();
    }

    public boolean due(long now) {
        return now >= next;
    }

    /**
     * Deletes a batch of each kind in {@code c}'s transaction. Returns whether a batch was full
     * (more is due: the next round comes at once rather than after the interval).
     */
    public boolean deleteBatch(Connection c, Collection<Integer> partitions) throws SQLException {
        int batch = policy.batchSize();
        int jobs = RetentionStore.deleteExpiredJobs(c, partitions, policy.jobs(), batch).size();
        int tasks = RetentionStore.purgeTasks(c, partitions, batch);
        int runs = policy.jobs().isZero() ? 0 : RetentionStore.deleteOldRuns(c, partitions, policy.jobs(), batch);
        int letters = policy.deadLetters().isZero() ? 0 : RetentionStore.deleteOldLetters(c, partitions, policy.deadLetters(), batch);
        count("jobs", jobs);
        count("tasks", tasks);
        count("workflow_runs", runs);
        count("dead_letters", letters);
        return jobs >= batch || tasks >= batch || runs >= batch || letters >= batch;
    }

    /** After a round: the next one at once when {@code more} is due, else after the interval. */
    public void scheduled(long now, boolean more) {
        next = more ? now : now + policy.interval().toMillis();
    }

    private void count(String what, int deleted) {
        if (deleted > 0) {
            meters.retentionDeleted(what).increment(deleted);
        }
    }
}
