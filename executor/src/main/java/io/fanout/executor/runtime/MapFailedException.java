package io.fanout.executor.runtime;

/** A map call whose subtasks could not be made durable; the calling task fails. */
public class MapFailedException extends RuntimeException {

    public MapFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
