package io.fanout.shared;

/** Bounds on text that comes from outside (requests, exceptions) before Fanout stores or sends it. */
public final class Limits {

    /** A rejection's reason, as stored and announced. */
    public static final int MAX_REASON_CHARS = 1_000;
    /** A rejected request, as stored for inspection. */
    public static final int MAX_STORED_REQUEST_CHARS = 10_000;
    /** A text header of a record Fanout writes. */
    public static final int MAX_HEADER_CHARS = 16_000;

    private Limits() {
    }

    /** {@code text} cut to at most {@code max} characters, saying how long it was; null stays null. */
    public static String truncate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        String note = "... (cut from " + text.length() + " characters)";
        return text.substring(0, Math.max(0, max - note.length())) + note;
    }
}
