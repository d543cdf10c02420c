package io.fanout.shared.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic ids: re-running a root task after a crash maps the same children with the same
 * ids, so the coordinator stores them once.
 */
public final class TaskIds {

    private TaskIds() {
    }

    /** A job's root task id is the job id itself. */
    public static UUID root(UUID jobId) {
        return jobId;
    }

    /** The reduce task of a job. */
    public static UUID reduce(UUID jobId) {
        return nameBased(jobId, -1, -1);
    }

    /** The {@code index}-th item of the {@code mapCall}-th map call made by task {@code parent}. */
    public static UUID child(UUID parent, int mapCall, long index) {
        return nameBased(parent, mapCall, index);
    }

    /** The job id that a client key stands for: submitting the same key twice names one job. */
    public static UUID jobIdForKey(String key) {
        return UUID.nameUUIDFromBytes(("fanout-job:" + key).getBytes(StandardCharsets.UTF_8));
    }

    private static UUID nameBased(UUID parent, int mapCall, long index) {
        ByteBuffer b = ByteBuffer.allocate(28);
        b.putLong(parent.getMostSignificantBits()).putLong(parent.getLeastSignificantBits());
        b.putInt(mapCall).putLong(index);
        return UUID.nameUUIDFromBytes(b.array());
    }
}
