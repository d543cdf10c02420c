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

    private static final int INDEX_BITS = 42;
    /** The largest item index of one map call that an ordered child id holds (42 bits: four trillion items). */
    public static final long MAX_INDEX = (1L << INDEX_BITS) - 1;
    private static final long VERSION_8 = 0x8000L;
    private static final long VERSION_BITS = 0xF000L;
    private static final long VARIANT_RFC = 1L << 63;
    /** The 20 bits of the call's hash that go below the variant, above the index. */
    private static final long LOW_HASH_BITS = ((1L << 20) - 1) << INDEX_BITS;

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
     * index (0 to {@link #MAX_INDEX}): the same 80 bits hashed from parent and call, then the index.
     * So one call's items are neighbours in the task table's key, and a map's rows go into a few
     * index pages instead of one random page each. Two calls of one job share their ids only if
     * their 80 bits do (about n²/2⁸¹ for n calls). They are version 8 UUIDs, never equal to a job
     * id, a reduce task's id or a {@link #hashedChildren} id (versions 4 and 3).
     */
    public static LongFunction<UUID> children(UUID parent, int mapCall) {
        ByteBuffer digest = ByteBuffer.wrap(md5(ByteBuffer.allocate(20).putLong(parent.getMostSignificantBits())
                .putLong(parent.getLeastSignificantBits()).putInt(mapCall).array()));
        long high = digest.getLong() & ~VERSION_BITS | VERSION_8;
        long lowHash = digest.getLong() & LOW_HASH_BITS;
        return index -> {
            if (index < 0 || index > MAX_INDEX) {
                throw new IllegalArgumentException("item index out of range: " + index);
            }
            return new UUID(high, VARIANT_RFC | lowHash | index);
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
