package io.fanout.executor.runtime;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which records of each partition are still unfinished. Tasks finish out of order; the offset that
 * is safe to commit is the lowest unfinished one, so a crash never skips a task that did not
 * report. Thread-safe: records are added by the poll thread, finished from producer callbacks and
 * handed back from worker threads; each partition's state changes under its own lock, so a count
 * is never taken twice and the lowest offset is never read from a set emptied under it.
 */
final class OffsetTracker {

    private static final class Partition {
        final TreeSet<Long> unfinished = new TreeSet<>();
        /** Unfinished records given back unrun: no longer in flight here. */
        final Set<Long> handedBack = new HashSet<>();
        long next = -1;
        /** No longer owned: what happens to its records is the next owner's business. */
        boolean forgotten;
    }

    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    void received(TopicPartition tp, long offset) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        synchronized (p) {
            if (p.unfinished.add(offset)) {
                inFlight.incrementAndGet();
            }
            p.next = Math.max(p.next, offset + 1);
        }
    }

    void finished(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p == null) {
            return;
        }
        synchronized (p) {
            if (!p.forgotten && p.unfinished.remove(offset) && !p.handedBack.remove(offset)) {
                inFlight.decrementAndGet();
            }
        }
    }

    /**
     * A record given back unrun (the executor is stopping): no longer counted as in flight, but
     * still unfinished, so no offset past it is committed and the next owner runs it.
     */
    void handedBack(TopicPartition tp, long offset) {
        Partition p = partitions.get(tp);
        if (p == null) {
            return;
        }
        synchronized (p) {
            if (!p.forgotten && p.unfinished.contains(offset) && p.handedBack.add(offset)) {
                inFlight.decrementAndGet();
            }
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /** For each tracked partition, the offset up to which every record has finished. */
    Map<TopicPartition, OffsetAndMetadata> safeOffsets() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        partitions.forEach((tp, p) -> {
            long safe;
            synchronized (p) {
                safe = p.unfinished.isEmpty() ? p.next : p.unfinished.first();
            }
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
                synchronized (p) {
                    p.forgotten = true;
                    inFlight.addAndGet(-(p.unfinished.size() - p.handedBack.size()));
                }
            }
        }
    }
}
