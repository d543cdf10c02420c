package io.fanout.topics;

/** An existing topic that does not match the layout (and will not be changed silently). */
public class TopicMismatchException extends RuntimeException {

    public TopicMismatchException(String message) {
        super(message);
    }
}
