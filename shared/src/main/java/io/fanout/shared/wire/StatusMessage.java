package io.fanout.shared.wire;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** What executors send to the status topic: status events, or the subtasks of a map call. */
public sealed interface StatusMessage permits StatusMessage.StatusBatch, StatusMessage.MapRequest {

    UUID jobId();

    /** Status events of one job from one executor. */
    record StatusBatch(UUID jobId, String executorId, List<StatusEvent> events) implements StatusMessage {
        public StatusBatch {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(executorId, "executorId");
            events = List.copyOf(events);
        }
    }

    /**
     * One batch of a map call: items {@code firstIndex ..} of the {@code mapCall}-th map made by
     * task {@code parentTaskId}. The child ids follow from these numbers, so a re-sent batch
     * names the same children.
     */
    record MapRequest(UUID jobId, UUID parentTaskId, int mapCall, long firstIndex, String taskName, List<byte[]> payloads)
            implements StatusMessage {
        public MapRequest {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(parentTaskId, "parentTaskId");
            Objects.requireNonNull(taskName, "taskName");
            payloads = List.copyOf(payloads);
        }
    }
}
