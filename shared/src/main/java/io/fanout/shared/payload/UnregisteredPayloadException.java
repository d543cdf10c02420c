package io.fanout.shared.payload;

/** A payload or result of a class the processor did not declare, or that Kryo cannot write. */
public class UnregisteredPayloadException extends IllegalArgumentException {

    public UnregisteredPayloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
