package io.fanout.coordinator.store;

import io.fanout.shared.model.TaskState;
import java.util.UUID;

/**
 * The net effect of one poll batch's events on one task: its newest state plus the times of the
 * steps seen on the way (zero when not seen in this batch).
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
        String errorClass,
        String errorMessage,
        boolean reduceRequired) {
}
