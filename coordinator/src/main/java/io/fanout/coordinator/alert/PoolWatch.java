package io.fanout.coordinator.alert;

import io.fanout.shared.TopicNames;
import io.fanout.shared.model.ExecutorHeartbeat;
import io.fanout.topics.ExecutorRegistry;
import io.fanout.topics.PoolStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;

/**
 * Finds pools whose tasks wait (consumer lag) while no executor of the pool is alive (heartbeats),
 * and says which have been so for {@code after}. An episode is named by when it began, so it raises
 * one alert however long it lasts, and a new one after the pool recovers and stalls again. The
 * beginning is this process's observation: a new alerts leader starts counting afresh.
 */
final class PoolWatch {

    /** A pool stalled since {@code since}, with {@code lag} tasks waiting. */
    record Stalled(String pool, long lag, Instant since) {
    }

    private final Admin admin;
    private final Map<String, Object> kafka;
    private final TopicNames topics;
    private final String executorGroup;
    private final Duration after;
    private final Map<String, Instant> stalledSince = new HashMap<>();

    PoolWatch(Admin admin, Map<String, Object> kafka, TopicNames topics, String executorGroup, Duration after) {
        this.admin = admin;
        this.kafka = kafka;
        this.topics = topics;
        this.executorGroup = executorGroup;
        this.after = after;
    }

    /** The pools stalled for at least {@code after} as of {@code now}. */
    List<Stalled> look(Instant now) {
        Set<String> alive = ExecutorRegistry.read(kafka, topics, now).live().stream().map(ExecutorHeartbeat::pool).collect(Collectors.toSet());
        Map<String, Long> lag = new HashMap<>();
        for (PoolStatus p : PoolStatus.readAll(admin, topics, executorGroup)) {
            if (p.totalLag() > 0 && !alive.contains(p.pool())) {
                lag.put(p.pool(), p.totalLag());
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
