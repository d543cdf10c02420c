package io.fanout.executor.runtime;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which records of each partition are still unfinished. Tasks finish out of order; the offset that
 * is safe to commit is the lowest unfinished one, so a crash never skips a task that did not
 * report. A record of a slice is finished when each of its tasks is; tasks, not records, count as
 * in flight. Thread-safe: records are added by the poll thread, finished from producer callbacks and
 * handed back from worker threads; each partition's state changes under its own lock, so a count
 * is never taken twice and the lowest offset is never read from a set emptied under it.
 */
final class OffsetTracker {

    private static final class Partition {
        final TreeMap<Long, RecordItems> unfinished = new TreeMap<>();
        long next = -1;
        /** No longer owned: what happens to its records is the next owner's business. */
        boolean forgotten;
    }

    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    /** A record of {@code items} tasks received. */
    void received(TopicPartition tp, long offset, int items) {
        Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
        synchronized (p) {
            if (p.unfinished.putIfAbsent(offset, new RecordItems(items)) == null) {
                inFlight.addAndGet(items);
            }
            p.next = Math.max(p.next, offset + 1);
        }
    }

    /** A record of one task received. */
    void received(TopicPartition tp, long offset) {
        received(tp, offset, 1);
    }

    /** The outcome of the record's task {@code item} is reported; the record is finished once each of its tasks is. */
    void finished(TopicPartition tp, long offset, int item) {
        Partition p = partitions.get(tp);
        if (p == null) {
            return;
        }
        synchronized (p) {
            RecordItems r = p.forgotten ? null : p.unfinished.get(offset);
            if (r == null) {
                return;
            }
            if (r.finish(item)) {
                inFlight.decrementAndGet();
            }
            if (r.finished()) {
                p.unfinished.remove(offset);
            }
        }
    }

    /** A record of one task finished. */
    void finished(TopicPartition tp, long offset) {
        finished(tp, offset, 0);
    }

    /**
     * The record's task {@code item} given back unrun (the executor is stopping): no longer counted
     * as in flight, but its record stays unfinished, so no offset past it is committed and the next
     * owner runs it.
     */
    void handedBack(TopicPartition tp, long offset, int item) {
        Partition p = partitions.get(tp);
        if (p == null) {
            return;
        }
        synchronized (p) {
            RecordItems r = p.forgotten ? null : p.unfinished.get(offset);
            if (r != null && r.handBack(item)) {
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
                safe = p.unfinished.isEmpty() ? p.next : p.unfinished.firstKey();
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
                    inFlight.addAndGet(-p.unfinished.values().stream().mapToInt(RecordItems::inFlight).sum());
                }
            }
        }
    }
}
