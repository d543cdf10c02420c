package io.fanout.coordinator.store;

import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.Failure;
import java.util.UUID;

/**
 * The net effect of one poll batch's events on one task: its newest state plus the times of the
 * steps seen on the way (zero when not seen in this batch). A failed attempt also carries what the
 * retry policy decided: a time to try again, or a dead letter.
 *
 * @param retryAt when the next attempt is due, epoch milliseconds (0: not retried)
 * @param letterReason why the task is dead-lettered (null: it is not)
 */
public record StagedStatus(
        UUID jobId,
        UUID taskId,
        int attempt,
        TaskState state,
        String executorId,
        long receivedAt,
        long startedAt,
        long finishedAt,
        byte[] result,
        String resultJson,
        Failure failure,
        boolean reduceRequired,
        long retryAt,
        String letterReason) {

    public StagedStatus retryAt(long dueMillis) {
        return new StagedStatus(jobId, taskId, attempt, state, executorId, receivedAt, startedAt, finishedAt, result, resultJson, failure, reduceRequired,
                dueMillis, null);
    }

    public StagedStatus deadLetter(String reason) {
        return new StagedStatus(jobId, taskId, attempt, state, executorId, receivedAt, startedAt, finishedAt, result, resultJson, failure, reduceRequired,
                0, reason);
    }
}
