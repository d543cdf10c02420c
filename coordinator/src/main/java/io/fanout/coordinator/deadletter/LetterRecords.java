package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskReplay;
import io.fanout.query.DeadLetter;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The records a park or a replay owes Kafka, derived from the letter's row: a parked letter's
 * record on the parking topic (the task's record, or the unreadable bytes, with the letter's
 * headers), a replayed unreadable record's bytes on the topic and partition it came from. Derived
 * again by the reconciler from the letters the outbox names by kind: each is owed because it was
 * decided, whatever has happened to the letter since.
 */
public final class LetterRecords {

    private final TopicNames topics;

    public LetterRecords(TopicNames topics) {
        this.topics = topics;
    }

    /** The records owed for these parked and these replayed letters (a letter deleted since owes nothing). */
    public List<LetterSend> owed(Connection c, Collection<Long> parked, Collection<Long> returned) throws SQLException {
        List<LetterSend> out = new ArrayList<>();
        for (DeadLetter l : DeadLetterStore.read(c, parked).values()) {
            out.add(parked(c, l));
        }
        for (DeadLetter l : DeadLetterStore.read(c, returned).values()) {
            if (!l.isTaskLetter()) {
                out.add(returned(c, l));
            }
        }
        return out;
    }

    /** What parking the letter owes. */
    LetterSend parked(Connection c, DeadLetter l) throws SQLException {
        return new LetterSend(l.id(), l.ownerPartition(), LetterSend.Kind.PARK, parking(c, l));
    }

    /** What replaying an unreadable record owes. */
    LetterSend returned(Connection c, DeadLetter l) throws SQLException {
        return new LetterSend(l.id(), l.ownerPartition(), LetterSend.Kind.RETURN, sentBack(c, l));
    }

    /** The letter as a record of the parking topic. */
    private ProducerRecord<byte[], byte[]> parking(Connection c, DeadLetter l) throws SQLException {
        DeadLetterHeaders h = DeadLetterHeaders.of(DeadLetterHeaders.Reason.valueOf(l.reason()))
                .original(l.originalTopic(), l.originalPartition() == null ? -1 : l.originalPartition(), l.originalOffset() == null ? -1 : l.originalOffset())
                .exception(l.errorClass(), l.errorMessage(), l.stackTrace())
                .text(DeadLetterHeaders.EXECUTOR, l.executorId())
                .text(DeadLetterHeaders.FIRST_FAILURE, l.firstFailedAt() == null ? null : l.firstFailedAt().toString())
                .text(DeadLetterHeaders.LAST_FAILURE, l.failedAt().toString());
        if (!l.isTaskLetter()) {
            byte[][] bytes = DeadLetterStore.recordBytes(c, l.id());
            return new ProducerRecord<>(topics.parkedLetters(), null, bytes[0], bytes[1], h.build());
        }
        h.text(DeadLetterHeaders.JOB, l.jobId().toString()).text(DeadLetterHeaders.TASK, l.taskId().toString())
                .text(DeadLetterHeaders.ATTEMPTS, String.valueOf(l.attempts()));
        TaskDispatch current = TaskReplay.current(c, l.jobId(), l.taskId());
        byte[] value = current == null ? null : WireCodec.encodeTask(current.record());
        return new ProducerRecord<>(topics.parkedLetters(), null, l.taskId().toString().getBytes(StandardCharsets.UTF_8), value, h.build());
    }

    /** An unreadable record's bytes, for the topic and partition it came from. */
    private ProducerRecord<byte[], byte[]> sentBack(Connection c, DeadLetter l) throws SQLException {
        byte[][] bytes = DeadLetterStore.recordBytes(c, l.id());
        return new ProducerRecord<>(l.originalTopic(), l.originalPartition(), bytes[0], bytes[1]);
    }
}
