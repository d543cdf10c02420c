package io.fanout.shared;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers of a dead-letter record: why it is there and where it came from. The original
 * record's position and the exception use Spring Kafka's header names and encodings (partition a
 * 4-byte int, offset an 8-byte long, the rest UTF-8), so tools built for Spring's dead-letter topics
 * read ours; the job, task and attempt history use Fanout's own names.
 */
public final class DeadLetterHeaders {

    public static final String ORIGINAL_TOPIC = "kafka_dlt-original-topic";
    public static final String ORIGINAL_PARTITION = "kafka_dlt-original-partition";
    public static final String ORIGINAL_OFFSET = "kafka_dlt-original-offset";
    public static final String EXCEPTION_FQCN = "kafka_dlt-exception-fqcn";
    public static final String EXCEPTION_MESSAGE = "kafka_dlt-exception-message";
    public static final String EXCEPTION_STACKTRACE = "kafka_dlt-exception-stacktrace";
    public static final String REASON = "fanout-dlt-reason";
    public static final String JOB = "fanout-job-id";
    public static final String TASK = "fanout-task-id";
    public static final String ATTEMPTS = "fanout-attempts";
    public static final String EXECUTOR = "fanout-executor";
    public static final String FIRST_FAILURE = "fanout-first-failure";
    public static final String LAST_FAILURE = "fanout-last-failure";
    /** How many times a share group delivered the record (absent for a consumer group's). */
    public static final String DELIVERY_COUNT = "fanout-delivery-count";

    /** Why a record is a dead letter. */
    public enum Reason {
        /** The record could not be read as what its topic holds. */
        POISON,
        /** The task failed on every attempt its retry policy allows. */
        ATTEMPTS_EXHAUSTED,
        /** The task failed with an exception its job or processor declared not worth retrying. */
        NON_RETRYABLE
    }

    private final RecordHeaders headers = new RecordHeaders();

    public static DeadLetterHeaders of(Reason reason) {
        DeadLetterHeaders h = new DeadLetterHeaders();
        return h.text(REASON, reason.name());
    }

    public DeadLetterHeaders original(String topic, int partition, long offset) {
        if (topic != null && partition >= 0) {
            text(ORIGINAL_TOPIC, topic);
            headers.add(ORIGINAL_PARTITION, ByteBuffer.allocate(4).putInt(partition).array());
            headers.add(ORIGINAL_OFFSET, ByteBuffer.allocate(8).putLong(offset).array());
        }
        return this;
    }

    public DeadLetterHeaders exception(String fqcn, String message, String stackTrace) {
        return text(EXCEPTION_FQCN, fqcn).text(EXCEPTION_MESSAGE, message).text(EXCEPTION_STACKTRACE, stackTrace);
    }

    /** Adds a UTF-8 header, at most {@link Limits#MAX_HEADER_CHARS} characters of it; a null value adds nothing. */
    public DeadLetterHeaders text(String name, String value) {
        if (value != null) {
            headers.add(name, Limits.truncate(value, Limits.MAX_HEADER_CHARS).getBytes(StandardCharsets.UTF_8));
        }
        return this;
    }

    /** Copies the original record's headers, so nothing it carried is lost, except those that bear our names (ours are the true ones). */
    public DeadLetterHeaders copy(Headers original) {
        for (Header h : original) {
            if (!isOurs(h.key())) { // a record that carries our header names must not speak for us
                headers.add(h);
            }
        }
        return this;
    }

    /** Whether a header name is one that dead-letter records are read by (Fanout's, and the dead-letter ones Spring reads too). */
    public static boolean isOurs(String name) {
        return name.startsWith("fanout-") || name.startsWith("kafka_dlt-");
    }

    public Headers build() {
        return headers;
    }

    /** A UTF-8 header's value (at most {@link Limits#MAX_HEADER_CHARS} characters of it: anyone may write the topic), or null. */
    public static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : Limits.truncate(new String(h.value(), StandardCharsets.UTF_8), Limits.MAX_HEADER_CHARS);
    }

    /** The original partition, or -1. */
    public static int originalPartition(Headers headers) {
        Header h = headers.lastHeader(ORIGINAL_PARTITION);
        return h == null || h.value().length != 4 ? -1 : ByteBuffer.wrap(h.value()).getInt();
    }

    /** The original offset, or -1. */
    public static long originalOffset(Headers headers) {
        Header h = headers.lastHeader(ORIGINAL_OFFSET);
        return h == null || h.value().length != 8 ? -1 : ByteBuffer.wrap(h.value()).getLong();
    }
}
