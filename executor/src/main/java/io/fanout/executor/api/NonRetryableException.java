package io.fanout.executor.api;

/**
 * Thrown by a processor when retrying cannot help (bad input, a rule violated): the task goes
 * straight to the dead-letter topic, whatever attempts its retry policy has left. A job can also
 * name such exception classes in {@code retry.nonRetryable}.
 */
public class NonRetryableException extends RuntimeException {

    public NonRetryableException(String message) {
        super(message);
    }

    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
