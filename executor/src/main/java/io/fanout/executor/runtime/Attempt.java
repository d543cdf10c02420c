package io.fanout.executor.runtime;

import io.fanout.shared.wire.TaskRecord;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;

/** One received task attempt, from its record (which may carry others: a slice) to its reported outcome. */
final class Attempt {

    final TaskRecord task;
    final TopicPartition tp;
    final long offset;
    /** Its place among the tasks its record carries (0 for a record of one task). */
    final int item;
    /** How many times its record has been delivered, this time included (1 from a consumer group). */
    final int deliveryCount;
    /**
     * When its record was produced (the Kafka record timestamp, -1 if unknown): a control order
     * applies to the attempts whose records were produced before it, so an order given to an
     * earlier job of the same id (deleted by retention, then submitted again) does not apply.
     */
    final long producedAt;
    /** Its outcome has been reported (by its worker, the watchdog or a cancel: whichever came first). */
    final AtomicBoolean reported = new AtomicBoolean();
    final long receivedNanos = System.nanoTime();
    volatile long startedNanos;
    volatile boolean running;
    /** Its partition went to another member before it started: that member runs it. */
    volatile boolean withdrawn;
    volatile Thread worker;

    Attempt(TaskRecord task, TopicPartition tp, long offset, int item, int deliveryCount, long producedAt) {
        this.task = task;
        this.tp = tp;
        this.offset = offset;
        this.item = item;
        this.deliveryCount = deliveryCount;
        this.producedAt = producedAt;
    }

    /** Whether an order given at {@code orderedAt} (its record's timestamp) was given after this attempt's record was produced. */
    boolean producedBefore(long orderedAt) {
        return producedAt < 0 || orderedAt < 0 || producedAt <= orderedAt;
    }
}
