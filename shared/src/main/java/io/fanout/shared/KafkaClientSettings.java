package io.fanout.shared;

import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka client settings every Fanout process uses on top of the user's (which pass through
 * untouched). Durability settings are enforced; tuning settings are defaults the user may override.
 */
public final class KafkaClientSettings {

    private KafkaClientSettings() {
    }

    /** A producer whose acknowledged records survive a broker failure and are never duplicated by retries. */
    public static Map<String, Object> reliableProducer(Map<String, Object> user, String clientId) {
        Map<String, Object> p = new HashMap<>(user);
        p.put("acks", "all");
        p.put("enable.idempotence", true);
        // at once: a single task's record or event waits for nothing, and under load records batch up on their own behind the requests in flight
        p.putIfAbsent("linger.ms", 0);
        p.putIfAbsent("batch.size", 256 * 1024);
        p.putIfAbsent("client.id", clientId);
        return p;
    }

    /** A group member that commits offsets itself, only after its work is done, and starts from the earliest record. */
    public static Map<String, Object> manualCommitConsumer(Map<String, Object> user, String groupId, String assignor, String clientId) {
        Map<String, Object> p = new HashMap<>(user);
        p.put("group.id", groupId);
        p.put("enable.auto.commit", false);
        p.put("auto.offset.reset", "earliest");
        p.put("partition.assignment.strategy", assignor);
        p.putIfAbsent("client.id", clientId);
        return p;
    }
}
