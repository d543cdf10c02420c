package io.fanout.shared.model;

/** How a task payload or result is encoded. */
public enum PayloadFormat {
    NONE(0),
    /** Kryo, with the processor's registered classes. */
    KRYO(1),
    /** UTF-8 JSON, from a job request (params or static items). */
    JSON(2);

    private final int code;

    PayloadFormat(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static PayloadFormat ofCode(int code) {
        for (PayloadFormat f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown payload format code " + code);
    }
}
