package io.fanout.coordinator.store;

import java.util.UUID;

/** A task an executor has reported receiving or running, as stored. */
public record HeldTask(UUID jobId, UUID taskId, int attempt, String executorId, int partition) {
}
