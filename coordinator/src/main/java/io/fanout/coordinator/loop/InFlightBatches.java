package io.fanout.coordinator.loop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Batches whose database work is committed but whose records (tasks, events) may still be on
 * their way to the brokers. The loop goes on polling meanwhile; a batch's consumer offsets become
 * committable only when all its sends are acknowledged, and strictly in batch order.
 */
final class InFlightBatches {

    /**
     * One applied batch: its sends, where it started (to rewind to), where it ended (to commit), and
     * the outbox rows that record its sends (settled once they are all acknowledged).
     */
    record Batch(List<Future<RecordMetadata>> sends, Map<TopicPartition, Long> firstOffsets, Map<TopicPartition, OffsetAndMetadata> nextOffsets,
                 List<Long> outboxIds) {

        /** Sends of the loop's own work (retries, released tasks, deadlines) that commit no offsets. */
        static Batch ofSends(List<Future<RecordMetadata>> sends, List<Long> outboxIds) {
            return new Batch(sends, Map.of(), Map.of(), outboxIds);
        }
    }

    /** A batch one of whose sends failed: everything from its first offsets must be applied again. */
    static final class SendFailedException extends Exception {
        final Map<TopicPartition, Long> rewindTo;

        SendFailedException(Map<TopicPartition, Long> rewindTo, Throwable cause) {
            super("a dispatched record was not acknowledged: " + cause.getMessage(), cause);
            this.rewindTo = rewindTo;
        }
    }

    private final Deque<Batch> batches = new ArrayDeque<>();
    private final List<Long> settled = new ArrayList<>();

    void add(Batch batch) {
        batches.add(batch);
    }

    boolean isEmpty() {
        return batches.isEmpty();
    }

    /**
     * Removes the leading batches whose sends are all acknowledged and returns the offsets they
     * make committable. With {@code wait}, waits for every batch.
     */
    Map<TopicPartition, OffsetAndMetadata> acknowledged(boolean wait) throws SendFailedException, InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        while (!batches.isEmpty()) {
            Batch b = batches.peek();
            if (!wait && !b.sends().stream().allMatch(Future::isDone)) {
                break;
            }
            for (Future<RecordMetadata> f : b.sends()) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new SendFailedException(rewindAll(), e.getCause());
                }
            }
            batches.poll();
            offsets.putAll(b.nextOffsets());
            settled.addAll(b.outboxIds());
        }
        return offsets;
    }

    /** The outbox rows whose records are all acknowledged since the last call: owed no more. */
    List<Long> drainSettled() {
        List<Long> ids = new ArrayList<>(settled);
        settled.clear();
        return ids;
    }

    /** Outbox rows not to re-drive: their records are still being sent, or they are about to be settled. */
    Set<Long> outboxIdsInHand() {
        Set<Long> ids = new HashSet<>(settled);
        batches.forEach(b -> ids.addAll(b.outboxIds()));
        return ids;
    }

    /** The earliest offset of every partition over all batches still in flight, which are dropped. */
    private Map<TopicPartition, Long> rewindAll() {
        Map<TopicPartition, Long> rewind = new HashMap<>();
        for (Batch b : batches) {
            b.firstOffsets().forEach((tp, offset) -> rewind.merge(tp, offset, Math::min));
        }
        batches.clear();
        return rewind;
    }
}
