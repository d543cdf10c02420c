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
 * @param leaseTtl how long the sweeper's leadership lasts without renewal; a new leader takes over within it
 * @param enabled false turns the sweeper off in this coordinator (letters can still be replayed by hand)
 */
public record SweeperPolicy(Duration interval, int maxReplays, Duration minAge, List<String> replayableErrors, Duration leaseTtl, boolean enabled) {

    public static final SweeperPolicy DEFAULT = new SweeperPolicy(Duration.ofMinutes(1), 3, Duration.ofMinutes(5), List.of(), Duration.ofSeconds(15), true);

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
    }

    public SweeperPolicy withEnabled(boolean on) {
        return new SweeperPolicy(interval, maxReplays, minAge, replayableErrors, leaseTtl, on);
    }
}
