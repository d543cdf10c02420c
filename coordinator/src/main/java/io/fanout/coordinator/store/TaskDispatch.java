package io.fanout.coordinator.store;

import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.TaskRecord;

/**
 * One attempt of a task to send to its job's pool, with what its record needs from the job.
 *
 * @param reduceInput where a reduce task's input is; null for other tasks
 */
public record TaskDispatch(NewTask task, int attempt, JobRow job, ReduceInputRange reduceInput) {

    public static TaskDispatch first(NewTask task, JobRow job) {
        return new TaskDispatch(task, 0, job, null);
    }

    /** The task record an executor receives. */
    public TaskRecord record() {
        return new TaskRecord(task.jobId(), task.taskId(), task.parentId(), attempt, job.ownerPartition(), task.kind(), job.processor(), task.taskName(),
                task.payloadFormat(), task.payload(), job.taskTimeoutMillis(), job.deadlineMillis(), job.retry().nonRetryable(),
                task.kind() == TaskKind.REDUCE ? reduceInput : null);
    }
}
