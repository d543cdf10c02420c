package io.fanout.coordinator.alert;

import io.fanout.coordinator.pools.PoolWatch;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pools whose tasks have waited with no executor (as the pool watch last read them) for at
 * least {@code after}. An episode is named by when it began, so it raises one alert however long
 * it lasts, and a new one after the pool recovers and stalls again. The beginning is this
 * process's observation: a new alerts leader starts counting afresh.
 */
final class StalledPools {

    /** A pool stalled since {@code since}, with {@code lag} tasks waiting. */
    record Stalled(String pool, long lag, Instant since) {
    }

    private final PoolWatch pools;
    private final Duration after;
    private final Map<String, Instant> stalledSince = new HashMap<>();

    StalledPools(PoolWatch pools, Duration after) {
        this.pools = pools;
        this.after = after;
    }

    List<Stalled> look(Instant now) {
        Map<String, Long> lag = new HashMap<>();
        for (PoolWatch.PoolReading r : pools.latest()) {
            if (r.stalled()) {
                lag.put(r.pool(), (long) r.lag());
            }
        }
        stalledSince.keySet().retainAll(lag.keySet());
        lag.keySet().forEach(pool -> stalledSince.putIfAbsent(pool, now));
        return lag.entrySet().stream()
                .filter(e -> !now.isBefore(stalledSince.get(e.getKey()).plus(after)))
                .map(e -> new Stalled(e.getKey(), e.getValue(), stalledSince.get(e.getKey())))
                .toList();
    }
}
