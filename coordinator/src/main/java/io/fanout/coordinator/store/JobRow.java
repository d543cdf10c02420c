package io.fanout.coordinator.store;

import io.fanout.shared.model.JobEvent.TaskCounts;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.RetryPolicy;
import java.util.UUID;

/**
 * A job's durable state: what the coordinator needs to dispatch its tasks, retry them, and decide
 * its outcome.
 *
 * @param deadlineMillis when the job's deadline passes, epoch milliseconds (0: none)
 */
public record JobRow(
        UUID jobId,
        String key,
        String processor,
        String pool,
        JobState state,
        int ownerPartition,
        long total,
        long succeeded,
        long failed,
        boolean reduceRequired,
        RetryPolicy retry,
        long taskTimeoutMillis,
        long deadlineMillis,
        long maxFailedTasks) {

    public boolean allTasksDone() {
        return total > 0 && succeeded + failed == total;
    }

    public TaskCounts counts() {
        return new TaskCounts(total, succeeded, failed);
    }

    public JobRow withState(JobState next) {
        return new JobRow(jobId, key, processor, pool, next, ownerPartition, total, succeeded, failed, reduceRequired, retry, taskTimeoutMillis,
                deadlineMillis, maxFailedTasks);
    }
}
