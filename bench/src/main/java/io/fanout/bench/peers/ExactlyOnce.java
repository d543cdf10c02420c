package io.fanout.bench.peers;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/** One slot per task index, incremented by each execution: at the end every slot must hold exactly 1. */
final class ExactlyOnce {

    static final String EACH_EXACTLY_ONCE = "each exactly once";

    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private final AtomicIntegerArray slots;
    /** Indices executed at least once: a duplicate must not make up for a task still to run. */
    private final AtomicInteger distinct = new AtomicInteger();

    ExactlyOnce(int tasks) {
        slots = new AtomicIntegerArray(tasks);
    }

    void executed(int index) {
        if (slots.incrementAndGet(index) == 1) {
            distinct.incrementAndGet();
        }
    }

    /** Returns the time at which the last index ran for the first time, or gives up after the timeout. */
    long awaitAll() throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (distinct.get() < slots.length() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return System.nanoTime();
    }

    /** {@link #EACH_EXACTLY_ONCE}, or how many never ran and how many ran more than once. */
    String verdict() {
        int missing = 0;
        int duplicates = 0;
        for (int i = 0; i < slots.length(); i++) {
            int n = slots.get(i);
            if (n == 0) {
                missing++;
            } else if (n > 1) {
                duplicates++;
            }
        }
        return missing == 0 && duplicates == 0 ? EACH_EXACTLY_ONCE
                : String.format("%,d never ran, %,d ran more than once", missing, duplicates);
    }
}
