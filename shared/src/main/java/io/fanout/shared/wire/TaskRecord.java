package io.fanout.shared.wire;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One task on the tasks topic: everything an executor needs to run it, including the status
 * partition that its events must go to (the partition of the coordinator that owns the job).
 *
 * @param timeoutMillis how long one attempt may run before the executor stops it (0: no limit)
 * @param deadlineMillis when the job's deadline passes, epoch milliseconds (0: none); work past it is cancelled
 * @param nonRetryable exception classes (with their subclasses) whose failures are never retried
 * @param reduceInput for {@link TaskKind#REDUCE} tasks, where the subtask results are; else null
 */
public record TaskRecord(
        UUID jobId,
        UUID taskId,
        UUID parentId,
        int attempt,
        int statusPartition,
        TaskKind kind,
        String processor,
        String taskName,
        PayloadFormat payloadFormat,
        byte[] payload,
        long timeoutMillis,
        long deadlineMillis,
        List<String> nonRetryable,
        ReduceInputRange reduceInput) {

    public TaskRecord {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(taskName, "taskName");
        Objects.requireNonNull(payloadFormat, "payloadFormat");
        nonRetryable = List.copyOf(nonRetryable);
        if ((kind == TaskKind.REDUCE) != (reduceInput != null)) {
            throw new IllegalArgumentException("a reduce input range goes with REDUCE tasks only (task " + taskId + ")");
        }
    }

    @Override
    public String toString() {
        return "TaskRecord[job=" + jobId + ", task=" + taskId + ", name=" + taskName + ", kind=" + kind + ", attempt=" + attempt + "]";
    }
}
