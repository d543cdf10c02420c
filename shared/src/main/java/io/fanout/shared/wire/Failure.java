package io.fanout.shared.wire;

import java.util.Objects;

/**
 * Why a task attempt failed, as its executor saw it.
 *
 * @param stackTrace the exception's stack trace (trimmed), or null
 * @param retryable false when the processor said never to retry this (a non-retryable exception)
 * @param retryAfterMillis the wait the processor asked for (a "retry later" exception), or -1 for the policy's backoff
 * @param sourcePartition where the task record was read from (-1 when unknown), for dead-letter headers
 * @param sourceOffset the record's offset (-1 when unknown)
 */
public record Failure(String errorClass, String message, String stackTrace, boolean retryable, long retryAfterMillis, int sourcePartition,
                      long sourceOffset) {

    public Failure {
        Objects.requireNonNull(errorClass, "errorClass");
    }

    /** A retryable failure with no stack trace and no known source record. */
    public static Failure of(String errorClass, String message) {
        return new Failure(errorClass, message, null, true, -1, -1, -1);
    }
}
