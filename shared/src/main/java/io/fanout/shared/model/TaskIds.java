package io.fanout.shared.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * Deterministic ids: re-running a root task after a crash maps the same children with the same
 * ids, so the coordinator stores them once.
 */
public final class TaskIds {

    /** The largest item index an ordered child id holds (62 bits). */
    static final long MAX_INDEX = (1L << 62) - 1;
    private static final long VERSION_8 = 0x8000L;
    private static final long VERSION_BITS = 0xF000L;
    private static final long VARIANT_RFC = 1L << 63;

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

    /** The {@code index}-th item of the {@code mapCall}-th map call made by task {@code parent} (see {@link #children}). */
    public static UUID child(UUID parent, int mapCall, long index) {
        return children(parent, mapCall).apply(index);
    }

    /**
     * The ids of the items of the {@code mapCall}-th map call made by task {@code parent}, by item
     * index: the same 60 bits hashed from parent and call, then the index. So one call's items are
     * neighbours in the task table's key, and a map's rows go into a few index pages instead of one
     * random page each. They are version 8 UUIDs, never equal to a job id, a reduce task's id or a
     * {@link #hashedChildren} id (versions 4 and 3).
     */
    public static LongFunction<UUID> children(UUID parent, int mapCall) {
        byte[] digest = md5(ByteBuffer.allocate(20).putLong(parent.getMostSignificantBits()).putLong(parent.getLeastSignificantBits())
                .putInt(mapCall).array());
        long prefix = ByteBuffer.wrap(digest).getLong() & ~VERSION_BITS | VERSION_8;
        return index -> {
            if (index < 0 || index > MAX_INDEX) {
                throw new IllegalArgumentException("item index out of range: " + index);
            }
            return new UUID(prefix, VARIANT_RFC | index);
        };
    }

    /**
     * The child ids of jobs accepted before ordered ids ({@link #children}): every item's id hashed
     * on its own. A coordinator that applies such a job's map again must name its children as the
     * first one did.
     */
    public static LongFunction<UUID> hashedChildren(UUID parent, int mapCall) {
        return index -> nameBased(parent, mapCall, index);
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

    private static byte[] md5(byte[] input) {
        try {
            return MessageDigest.getInstance("MD5").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }
}
