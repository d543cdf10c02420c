package io.fanout.coordinator;

import java.time.Duration;
import java.util.List;

/**
 * What the dead-letter sweeper replays, and how often it runs.
 *
 * @param interval time between sweeps
 * @param maxReplays replays per letter; a letter that has had them all is parked
 * @param minAge a letter is replayed only once it is at least this old
 * @param replayableErrors error classes the sweeper replays (empty: every class)
 * @param leaseTtl how long the scheduler's leadership lasts without renewal (a new leader takes over within it); the sweeper itself
 *     runs in the coordinator that owns each partition and takes no lease
 * @param enabled false turns the sweeper off in this coordinator (letters can still be replayed by hand)
 * @param perSweep letters parked, and letters replayed, at most per sweep
 */
public record SweeperPolicy(Duration interval, int maxReplays, Duration minAge, List<String> replayableErrors, Duration leaseTtl, boolean enabled,
                            int perSweep) {

    /** Letters handled per sweep unless told otherwise. */
    public static final int PER_SWEEP = 500;
    public static final SweeperPolicy DEFAULT = new SweeperPolicy(Duration.ofMinutes(1), 3, Duration.ofMinutes(5), List.of(), Duration.ofSeconds(15), true);

    public SweeperPolicy(Duration interval, int maxReplays, Duration minAge, List<String> replayableErrors, Duration leaseTtl, boolean enabled) {
        this(interval, maxReplays, minAge, replayableErrors, leaseTtl, enabled, PER_SWEEP);
    }

    public SweeperPolicy {
        replayableErrors = List.copyOf(replayableErrors);
        if (interval == null || interval.toMillis() < 1) {
            throw new IllegalArgumentException("sweeper setting 'interval' must be positive");
        }
        if (maxReplays < 0) {
            throw new IllegalArgumentException("sweeper setting 'max-replays' must be zero or more, got " + maxReplays);
        }
        if (minAge == null || minAge.isNegative()) {
            throw new IllegalArgumentException("sweeper setting 'min-age' must be zero or positive");
        }
        if (leaseTtl == null || leaseTtl.toMillis() < 100) {
            throw new IllegalArgumentException("sweeper setting 'lease-ttl' must be at least 100 ms");
        }
        if (perSweep < 1) {
            throw new IllegalArgumentException("sweeper setting 'per-sweep' must be positive, got " + perSweep);
        }
    }

    public SweeperPolicy withEnabled(boolean on) {
        return new SweeperPolicy(interval, maxReplays, minAge, replayableErrors, leaseTtl, on, perSweep);
    }
}
