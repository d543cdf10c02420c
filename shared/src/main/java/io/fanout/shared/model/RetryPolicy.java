package io.fanout.shared.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a job's failed tasks are retried: up to {@code maxAttempts} attempts in all, waiting
 * {@code initialBackoff × multiplier^(n-1)} after the n-th failure, capped at {@code maxBackoff} and
 * spread by ± {@code jitter} (a fraction). A failure whose exception (or any cause) is one of the
 * {@code nonRetryable} classes, or a subclass of one, is not retried.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff, double jitter, List<String> nonRetryable) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1), 2.0, Duration.ofMinutes(5), 0.2, List.of());
    /** Upper bound of {@code maxAttempts}: a task that fails this often needs a person, not another try. */
    public static final int MAX_ATTEMPTS = 100;

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        nonRetryable = List.copyOf(nonRetryable);
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("maxAttempts must be 1-" + MAX_ATTEMPTS + ", got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
            throw new IllegalArgumentException("backoffs must not be negative");
        }
        if (!(multiplier >= 1.0 && multiplier <= 100)) {
            throw new IllegalArgumentException("multiplier must be 1-100, got " + multiplier);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be a fraction 0-1, got " + jitter);
        }
    }

    /** Whether a task whose attempt {@code attempt} (counted from 0) failed may have another. */
    public boolean allowsAnotherAfter(int attempt) {
        return attempt + 1 < maxAttempts;
    }

    /**
     * The wait after attempt {@code attempt} (counted from 0) failed.
     *
     * @param random a uniform draw from [0, 1) that places the wait within the jitter
     */
    public Duration backoff(int attempt, double random) {
        double base = initialBackoff.toMillis() * Math.pow(multiplier, attempt);
        double capped = Math.min(base, maxBackoff.toMillis());
        double spread = capped * jitter * (2 * random - 1);
        return Duration.ofMillis(Math.max(0, Math.round(capped + spread)));
    }
}
