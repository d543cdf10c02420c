package io.fanout.coordinator.store;

import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.ReduceInputRange;
import java.time.Instant;

/**
 * A task that has just been dead-lettered: its index row's id and everything its dead-letter
 * record carries (the task record of the failed attempt and why it failed).
 *
 * @param attempt the failed attempt, counted from 0
 * @param reduceInput the reduce's input range, for a reduce task; else null
 */
public record NewDeadLetter(long id, JobRow job, NewTask task, int attempt, String reason, String executorId, Failure failure, Instant firstFailedAt,
                            Instant failedAt, ReduceInputRange reduceInput) {

    NewDeadLetter withId(long letterId) {
        return new NewDeadLetter(letterId, job, task, attempt, reason, executorId, failure, firstFailedAt, failedAt, reduceInput);
    }
}
