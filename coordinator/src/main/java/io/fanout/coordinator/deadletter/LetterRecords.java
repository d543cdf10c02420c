package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.store.DeadLetter;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.TaskReplay;
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
 * The record a letter's state owes Kafka, derived from its row: a PARKED letter's record on the
 * parking topic (the task's record, or the unreadable bytes, with the letter's headers), a REPLAYED
 * unreadable record's bytes on the topic and partition it came from. Derived again by the
 * reconciler from the rows the outbox names, so a re-drive sends what is true now.
 */
public final class LetterRecords {

    private final TopicNames topics;

    public LetterRecords(TopicNames topics) {
        this.topics = topics;
    }

    /** The records still owed for these letters, as their rows stand now. */
    public List<LetterSend> owed(Connection c, Collection<Long> ids) throws SQLException {
        List<LetterSend> out = new ArrayList<>();
        for (DeadLetter l : DeadLetterStore.read(c, ids).values()) {
            if (l.state().equals(DeadLetter.PARKED)) {
                out.add(new LetterSend(l.id(), l.ownerPartition(), parking(c, l)));
            } else if (l.state().equals(DeadLetter.REPLAYED) && !l.isTaskLetter()) {
                out.add(new LetterSend(l.id(), l.ownerPartition(), sentBack(c, l)));
            }
        }
        return out;
    }

    /** The letter as a record of the parking topic. */
    ProducerRecord<byte[], byte[]> parking(Connection c, DeadLetter l) throws SQLException {
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
    ProducerRecord<byte[], byte[]> sentBack(Connection c, DeadLetter l) throws SQLException {
        byte[][] bytes = DeadLetterStore.recordBytes(c, l.id());
        return new ProducerRecord<>(l.originalTopic(), l.originalPartition(), bytes[0], bytes[1]);
    }
}
