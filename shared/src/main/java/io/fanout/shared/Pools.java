package io.fanout.shared;

import java.util.regex.Pattern;

/**
 * Executor pools: named groups of executors that scale on their own. Each pool has its own task
 * topic and its own consumer group; a job names the pool that runs it.
 */
public final class Pools {

    public static final String DEFAULT = "default";
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    private Pools() {
    }

    /** Throws with a readable reason unless {@code pool} is a legal pool name. */
    public static String check(String pool) {
        if (pool == null || !NAME.matcher(pool).matches()) {
            throw new IllegalArgumentException("pool name '" + pool + "' must be 1-63 of a-z 0-9 _ - (starting with a letter or digit)");
        }
        return pool;
    }

    /** The consumer group of a pool's executors: the base group for the default pool, {@code base.pool} for the others. */
    public static String groupId(String baseGroup, String pool) {
        return DEFAULT.equals(pool) ? baseGroup : baseGroup + "." + pool;
    }
}
