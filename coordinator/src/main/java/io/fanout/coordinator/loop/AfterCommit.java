package io.fanout.coordinator.loop;

import io.fanout.coordinator.control.CommandEffects;
import io.fanout.coordinator.deadletter.LetterSend;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.model.JobEvent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
    /** Jobs the batch ended, as they ended: their final events are owed. */
    final List<JobRow> ended = new ArrayList<>();
    /** Workflow runs the batch ended: their final events are owed. */
    final List<WorkflowRuns.EndedRun> endedRuns = new ArrayList<>();
    /**
     * Running jobs whose tasks executors handed back as suspended: the resume order is sent again, so
     * an executor that missed it (the resuming process died before sending it) stops handing them back.
     */
    final Set<UUID> resumeOrders = new HashSet<>();
    /**
     * Suspended jobs whose tasks executors still receive or start: the suspend order is sent again, so
     * an executor that missed it (the suspending process died before sending it) hands them back.
     */
    final Set<UUID> suspendOrders = new HashSet<>();
    /** Jobs cancelled by a command: every executor is told to stop their tasks. */
    final Set<UUID> cancelOrders = new HashSet<>();
    /** Commands read on a partition that does not own their job, produced again to the one that does. */
    final List<CommandEffects.Forward> forwards = new ArrayList<>();
    /** Records replayed and parked dead letters owe. */
    final List<LetterSend> letterSends = new ArrayList<>();
    /** The outbox rows that record what this batch owes Kafka. */
    List<Long> outboxIds = List.of();
    /** Failed attempts that got another attempt. */
    long retries;
    /** Parts of the batch applied in transactions of their own, already committed with their outbox rows. */
    final List<AfterCommit> committed = new ArrayList<>();

    /** Takes on what a part applied in the same transaction does. */
    void add(AfterCommit part) {
        tasks.addAll(part.tasks);
        endedRuns.addAll(part.endedRuns);
        events.addAll(part.events);
        deadLetters.addAll(part.deadLetters);
    }

    /** Takes on what the batch's commands owe: answers, orders, released tasks, cancelled jobs' and runs' final events, forwards. */
    void add(CommandEffects done) {
        events.addAll(done.answers);
        tasks.addAll(done.released);
        ended.addAll(done.endedJobs);
        endedRuns.addAll(done.endedRuns);
        cancelOrders.addAll(done.cancelOrders);
        suspendOrders.addAll(done.suspendOrders);
        resumeOrders.addAll(done.resumeOrders);
        forwards.addAll(done.forwards);
        letterSends.addAll(done.letterSends);
    }

    /** Once this batch's own transaction has committed: takes on what its committed parts do, and their outbox rows. */
    AfterCommit withCommittedParts() {
        List<Long> ids = new ArrayList<>(outboxIds);
        for (AfterCommit part : committed) {
            add(part);
            ids.addAll(part.outboxIds);
        }
        committed.clear();
        outboxIds = ids;
        return this;
    }

    /** What the batch owes Kafka until the brokers have it: its task records, final events (of jobs and runs) and dead letters. */
    Owed owed() {
        Owed owed = new Owed();
        tasks.forEach(d -> owed.task(d.job().ownerPartition(), d.task().jobId(), d.task().taskId()));
        ended.forEach(j -> owed.finalEvent(j.ownerPartition(), j.jobId()));
        deadLetters.forEach(l -> owed.letter(l.job().ownerPartition(), l.id()));
        endedRuns.forEach(r -> owed.finalRun(r.ownerPartition(), r.runId()));
        letterSends.forEach(l -> owed.letterSend(l.ownerPartition(), l.letterId(), l.kind() == LetterSend.Kind.PARK));
        return owed;
    }
}
