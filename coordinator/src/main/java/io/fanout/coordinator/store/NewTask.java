package io.fanout.coordinator.store;

import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskKind;
import java.util.UUID;

/** A task to store (and then dispatch). */
public record NewTask(UUID jobId, UUID taskId, UUID parentId, TaskKind kind, String taskName, PayloadFormat payloadFormat, byte[] payload) {
}
