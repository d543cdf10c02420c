package io.fanout.topics;

import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.ExecutorHeartbeat;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The executors as they announce themselves on the executors topic: the latest heartbeat of each,
 * split into live ones and those silent for more than three of their heartbeat intervals.
 */
public record ExecutorRegistry(List<ExecutorHeartbeat> live, List<ExecutorHeartbeat> silent) {

    private static final int SILENT_AFTER_INTERVALS = 3;

    /** Reads the whole (compacted) topic, up to its end at the time of the call. */
    public static ExecutorRegistry read(Map<String, Object> kafka, TopicNames names, Instant now) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove("group.id");
        props.put("enable.auto.commit", false);
        Map<String, ExecutorHeartbeat> latest = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(names.executors(), Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() == null) {
                        continue; // not a heartbeat (they are keyed by executor id)
                    }
                    String id = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
                    if (r.value() == null) {
                        latest.remove(id);
                    } else {
                        try {
                            latest.put(id, Json.mapper().readValue(r.value(), ExecutorHeartbeat.class));
                        } catch (IOException e) {
                            // not a heartbeat: ignored, the registry is advisory
                        }
                    }
                }
            }
        }
        List<ExecutorHeartbeat> live = new ArrayList<>();
        List<ExecutorHeartbeat> silent = new ArrayList<>();
        for (ExecutorHeartbeat h : latest.values()) {
            (isFresh(h, now) ? live : silent).add(h);
        }
        return new ExecutorRegistry(live, silent);
    }

    /** Whether a heartbeat is recent; one whose time cannot be read (anyone may write the topic) counts as silent. */
    private static boolean isFresh(ExecutorHeartbeat h, Instant now) {
        try {
            return h.time() != null && Duration.between(Instant.parse(h.time()), now).toMillis() <= SILENT_AFTER_INTERVALS * h.heartbeatIntervalMs();
        } catch (java.time.format.DateTimeParseException | ArithmeticException e) {
            return false;
        }
    }

    /** Lines describing a pool's executors. */
    public String render(String pool, Instant now) {
        StringBuilder b = new StringBuilder();
        for (ExecutorHeartbeat h : live) {
            if (h.pool().equals(pool)) {
                b.append(String.format("  executor %s on %s (version %s): runs %s, concurrency %d, %d in flight (%d running), %,d succeeded, %,d failed, seen %d ms ago%n",
                        h.id(), h.host(), h.version(), h.processors(), h.concurrency(), h.inFlight(), h.running(), h.completed(), h.failed(),
                        isFresh(h, now) ? Duration.between(Instant.parse(h.time()), now).toMillis() : -1));
            }
        }
        for (ExecutorHeartbeat h : silent) {
            if (h.pool().equals(pool)) {
                b.append(String.format("  executor %s on %s: silent since %s (presumed gone)%n", h.id(), h.host(), h.time()));
            }
        }
        return b.toString();
    }
}
