package io.fanout.shared.wire;

/** A record that is not a valid Fanout record (a poison record). */
public class WireFormatException extends RuntimeException {

    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
