package io.fanout.coordinator.loop;

import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.shared.model.JobEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What a batch does once its transaction has committed: dispatch tasks, emit events, send dead letters, start reduces. */
final class AfterCommit {

    /** A status record that could not be read, for the dead-letter topic. */
    record Unreadable(ConsumerRecord<byte[], byte[]> record, Exception why) {
    }

    final List<TaskDispatch> tasks = new ArrayList<>();
    final List<JobEvent> events = new ArrayList<>();
    final List<NewDeadLetter> deadLetters = new ArrayList<>();
    final List<Unreadable> unreadable = new ArrayList<>();
    final List<JobRow> reduces = new ArrayList<>();
    final List<JobRow> progressed = new ArrayList<>();
    /** Failed attempts that got another attempt. */
    long retries;
}
