package io.fanout.executor.runtime;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits each owned partition up to its lowest unfinished record, only when that has moved. Used
 * on the poll thread only (commit callbacks run there too).
 */
final class OffsetCommitter {

    private static final Logger log = LoggerFactory.getLogger(OffsetCommitter.class);
    static final long COMMIT_EVERY_NANOS = 200_000_000;

    private final Consumer<byte[], byte[]> consumer;
    private final OffsetTracker tracker;
    private final String executorId;
    /** What was last committed, or is being committed, per partition. */
    private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    private long lastCommit = System.nanoTime() - COMMIT_EVERY_NANOS;

    OffsetCommitter(Consumer<byte[], byte[]> consumer, OffsetTracker tracker, String executorId) {
        this.consumer = consumer;
        this.tracker = tracker;
        this.executorId = executorId;
    }

    /**
     * Commits, without waiting, the partitions whose safe offset moved, at most every {@link
     * #COMMIT_EVERY_NANOS}: a commit per finished task would be a write to the broker's offsets log
     * each. A crash runs again the tasks finished since the last commit (at least once, as any crash
     * may); a stop or a revocation commits at once ({@link #commitSync}).
     */
    void commitAsync() {
        long now = System.nanoTime();
        if (now - lastCommit < COMMIT_EVERY_NANOS) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> changed = new HashMap<>();
        tracker.safeOffsets().forEach((tp, om) -> {
            if (!om.equals(committed.get(tp)) && consumer.assignment().contains(tp)) {
                changed.put(tp, om);
            }
        });
        if (!changed.isEmpty()) {
            lastCommit = now;
            committed.putAll(changed);
            consumer.commitAsync(changed, (offsets, error) -> {
                if (error != null) { // forget them, so that the next round commits them again
                    offsets.forEach(committed::remove);
                    log.debug("executor {}: offset commit failed, retried next round: {}", executorId, error.toString());
                }
            });
        }
    }

    /** Commits, waiting, the safe offsets of {@code partitions} (all owned ones when null). */
    void commitSync(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.safeOffsets());
        offsets.keySet().retainAll(partitions == null ? consumer.assignment() : partitions);
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                log.warn("executor {}: offset commit failed: {}", executorId, e.getMessage());
            }
        }
    }

    /** These partitions are no longer this member's. */
    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(committed::remove);
    }
}
