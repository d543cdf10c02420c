package io.fanout.executor.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by a processor that knows when trying again makes sense (a rate limit, a resource that
 * opens at a known time): the next attempt waits {@code delay} instead of the policy's backoff. It
 * still counts as an attempt, so a task cannot ask to be retried forever.
 */
public class RetryLaterException extends RuntimeException {

    private final Duration delay;

    public RetryLaterException(Duration delay, String message) {
        super(message);
        this.delay = Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative");
        }
    }

    public Duration delay() {
        return delay;
    }
}
