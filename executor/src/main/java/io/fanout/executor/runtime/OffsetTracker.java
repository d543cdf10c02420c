package io.fanout.executor.runtime;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which records of each partition are still unfinished. Tasks finish out of order; the offset that
 * is safe to commit is the lowest unfinished one, so a crash never skips a task that did not
 * report. Thread-safe: records are added by the poll thread and finished from producer callbacks.
 */
final class OffsetTracker {

    private static final class Partition {
        final ConcurrentSkipListSet<Long> unfinished = new ConcurrentSkipListSet<>();
        volatile long next = -1;
    }

    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    void received(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        p.unfinished.add(offset);
        p.next = Math.max(p.next, offset + 1);
        inFlight.incrementAndGet();
    }

    void finished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null && p.unfinished.remove(offset)) {
            inFlight.decrementAndGet();
        }
    }

    /**
     * A record given back unrun (the executor is stopping): no longer counted as in flight, but
     * still unfinished, so no offset past it is committed and the next owner runs it.
     */
    void handedBack(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p != null && p.unfinished.contains(offset)) {
            inFlight.decrementAndGet();
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /** For each tracked partition, the offset up to which every record has finished. */
    Map<TopicPartition, OffsetAndMetadata> safeOffsets() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        partitions.forEach((tp, p) -> {
            Long lowest = p.unfinished.isEmpty() ? null : p.unfinished.first();
            long safe = lowest != null ? lowest : p.next;
            if (safe >= 0) {
                offsets.put(tp, new OffsetAndMetadata(safe));
            }
        });
        return offsets;
    }

    /** Stops tracking partitions this member no longer owns; their unfinished records go to the new owner. */
    void forget(Collection<TopicPartition> revoked) {
        for (TopicPartition tp : revoked) {
            Partition p = partitions.remove(tp);
            if (p != null) {
                inFlight.addAndGet(-p.unfinished.size());
            }
        }
    }
}
