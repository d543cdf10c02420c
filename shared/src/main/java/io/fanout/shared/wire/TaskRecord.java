package io.fanout.shared.wire;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import java.util.Objects;
import java.util.UUID;

/**
 * One task on the tasks topic: everything an executor needs to run it, including the status
 * partition that its events must go to (the partition of the coordinator that owns the job).
 *
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
        ReduceInputRange reduceInput) {

    public TaskRecord {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(taskName, "taskName");
        Objects.requireNonNull(payloadFormat, "payloadFormat");
        if ((kind == TaskKind.REDUCE) != (reduceInput != null)) {
            throw new IllegalArgumentException("a reduce input range goes with REDUCE tasks only (task " + taskId + ")");
        }
    }

    @Override
    public String toString() {
        return "TaskRecord[job=" + jobId + ", task=" + taskId + ", name=" + taskName + ", kind=" + kind + ", attempt=" + attempt + "]";
    }
}
