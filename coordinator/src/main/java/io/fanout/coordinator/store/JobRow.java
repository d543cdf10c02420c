package io.fanout.coordinator.store;

import io.fanout.shared.model.JobEvent.TaskCounts;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskIds;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * A job's durable state: what the coordinator needs to dispatch its tasks, retry them, and decide
 * its outcome.
 *
 * @param deadlineMillis when the job's deadline passes, epoch milliseconds (0: none)
 * @param parallelism at most this many of the job's tasks in flight (0: no limit)
 * @param inFlight the job's attempts dispatched and not finished yet
 * @param priority higher goes first when tasks wait for a dispatch window
 * @param orderedChildIds its mapped tasks are named by {@link TaskIds#children} (false: by
 *     {@link TaskIds#hashedChildren}, for jobs accepted before)
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
        long maxFailedTasks,
        int parallelism,
        long inFlight,
        int priority,
        boolean orderedChildIds) {

    /** The ids of the items of the {@code mapCall}-th map call made by task {@code parent} of this job, by item index. */
    public LongFunction<UUID> childIds(UUID parent, int mapCall) {
        return orderedChildIds ? TaskIds.children(parent, mapCall) : TaskIds.hashedChildren(parent, mapCall);
    }

    public boolean allTasksDone() {
        return total > 0 && succeeded + failed == total;
    }

    public TaskCounts counts() {
        return new TaskCounts(total, succeeded, failed);
    }

    public JobRow withState(JobState next) {
        return new JobRow(jobId, key, processor, pool, next, ownerPartition, total, succeeded, failed, reduceRequired, retry, taskTimeoutMillis,
                deadlineMillis, maxFailedTasks, parallelism, inFlight, priority, orderedChildIds);
    }

    /** How many more of its tasks may be dispatched now ({@link Long#MAX_VALUE} without a limit). */
    public long dispatchBudget() {
        return parallelism == 0 ? Long.MAX_VALUE : Math.max(0, parallelism - inFlight);
    }
}
