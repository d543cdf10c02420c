package io.fanout.executor.runtime;

import io.fanout.shared.wire.TaskRecord;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;

/** One received task attempt, from its record to its reported outcome. */
final class Attempt {

    final TaskRecord task;
    final TopicPartition tp;
    final long offset;
    /** How many times its record has been delivered, this time included (1 from a consumer group). */
    final int deliveryCount;
    /** Its outcome has been reported (by its worker, the watchdog or a cancel: whichever came first). */
    final AtomicBoolean reported = new AtomicBoolean();
    final long receivedNanos = System.nanoTime();
    volatile long startedNanos;
    volatile boolean running;
    /** Its partition went to another member before it started: that member runs it. */
    volatile boolean withdrawn;
    volatile Thread worker;

    Attempt(TaskRecord task, TopicPartition tp, long offset, int deliveryCount) {
        this.task = task;
        this.tp = tp;
        this.offset = offset;
        this.deliveryCount = deliveryCount;
    }
}
