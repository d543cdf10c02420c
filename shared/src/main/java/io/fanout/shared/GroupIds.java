package io.fanout.shared;

/**
 * The names of the consumer and share groups Fanout's processes join, derived from the group ids
 * they are configured with. One place, so that the clients and the ACLs that admit them agree.
 */
public final class GroupIds {

    /** The coordinators' group unless configured otherwise. */
    public static final String DEFAULT_COORDINATORS = "fanout-coordinators";
    /** The executors' base group unless configured otherwise. */
    public static final String DEFAULT_EXECUTORS = "fanout-executors";

    private GroupIds() {
    }

    /** The coordinators' group that indexes the dead-letter topic, beside their main group. */
    public static String deadLetterIndex(String coordinatorGroup) {
        return coordinatorGroup + ".dead-letter-index";
    }

    /** A pool's executor group: the base group for the default pool, {@code base.pool} for the others. */
    public static String executors(String baseGroup, String pool) {
        return Pools.groupId(baseGroup, pool);
    }

    /** The share group of a pool's executors (task source "share"): named apart from the consumer group, since one group id cannot be both. */
    public static String executorShare(String consumerGroup) {
        return consumerGroup + ".share";
    }
}
