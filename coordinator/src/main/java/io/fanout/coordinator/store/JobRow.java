package io.fanout.coordinator.store;

import io.fanout.shared.model.JobEvent.TaskCounts;
import io.fanout.shared.model.JobState;
import java.util.UUID;

/** A job's durable state: what the coordinator needs to dispatch its tasks and decide its outcome. */
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
        boolean reduceRequired) {

    public boolean allTasksDone() {
        return total > 0 && succeeded + failed == total;
    }

    public TaskCounts counts() {
        return new TaskCounts(total, succeeded, failed);
    }
}
