package io.fanout.coordinator.outbox;

import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-drives what the outbox says is owed: derives every record again from the rows it names (a
 * task still DISPATCHED gets its current attempt's record, an ended job its final event, a letter
 * its dead-letter record), sends them, and settles the rows once the brokers have them all. What is
 * no longer owed (a task an executor has reported since) is not sent. Receivers absorb the
 * duplicates a re-drive can make: statuses are keyed by attempt, and events and letters are
 * idempotent.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    public static final int ROWS_PER_PASS = 200;

    private final Outbox outbox;
    private final JobStore jobs;
    private final TaskStore tasks;
    private final Effects effects;

    public Reconciler(Outbox outbox, JobStore jobs, TaskStore tasks, Effects effects) {
        this.outbox = outbox;
        this.jobs = jobs;
        this.tasks = tasks;
        this.effects = effects;
    }

    /** What one pass re-sent. */
    public record Pass(int rows, int tasks, int events, int letters) {
        public boolean isEmpty() {
            return rows == 0;
        }
    }

    /**
     * Re-drives the rows of {@code partitions} at least {@code minAge} old, except {@code excluded}
     * (still being sent by this process). {@code conn} is in auto-commit mode; a failure leaves the
     * rows for the next pass.
     */
    public Pass reconcile(Connection conn, Collection<Integer> partitions, Duration minAge, Collection<Long> excluded) throws Exception {
        List<Outbox.Entry> entries = outbox.owed(conn, partitions, minAge, excluded, ROWS_PER_PASS);
        if (entries.isEmpty()) {
            return new Pass(0, 0, 0, 0);
        }
        List<UUID> taskJobs = new ArrayList<>();
        List<UUID> taskIds = new ArrayList<>();
        List<UUID> finalJobs = new ArrayList<>();
        List<Long> letters = new ArrayList<>();
        for (Outbox.Entry e : entries) {
            taskJobs.addAll(e.taskJobs());
            taskIds.addAll(e.taskIds());
            finalJobs.addAll(e.finalJobs());
            letters.addAll(e.letters());
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        List<TaskDispatch> owedTasks = taskIds.isEmpty() ? List.of() : tasks.stillDispatched(conn, taskJobs, taskIds);
        owedTasks.forEach(d -> sends.add(effects.tasks().publish(d)));
        List<JobStore.Ended> ended = finalJobs.isEmpty() ? List.of() : jobs.ended(conn, finalJobs);
        for (JobStore.Ended e : ended) {
            if (e.job().state() == JobState.CANCELLED) {
                sends.add(effects.control().cancel(e.job().jobId()));
            }
            sends.add(effects.events().publish(finalEvent(e)));
        }
        List<NewDeadLetter> owedLetters = letters.isEmpty() ? List.of() : DeadLetterStore.taskLetters(conn, letters);
        owedLetters.forEach(l -> sends.add(effects.deadLetters().publish(l)));
        for (Future<RecordMetadata> f : sends) {
            f.get(30, TimeUnit.SECONDS);
        }
        outbox.settle(conn, entries.stream().map(Outbox.Entry::id).toList());
        Pass pass = new Pass(entries.size(), owedTasks.size(), ended.size(), owedLetters.size());
        log.info("reconciled {} outbox rows of partitions {}: re-sent {} task records, {} final events, {} dead letters", pass.rows(), partitions,
                pass.tasks(), pass.events(), pass.letters());
        return pass;
    }

    /** The final event of a job that is over, as its ending transaction decided it. */
    public static JobEvent finalEvent(JobStore.Ended e) {
        JobRow job = e.job();
        JobEvent.Type type = switch (job.state()) {
            case SUCCEEDED -> JobEvent.Type.SUCCEEDED;
            case CANCELLED -> JobEvent.Type.CANCELLED;
            default -> JobEvent.Type.FAILED;
        };
        return new JobEvent(type, job.jobId(), job.key(), job.processor(), job.state(), job.counts(),
                e.resultJson() == null ? null : Json.readTree(e.resultJson()), e.error(), null, null, Instant.now().toString());
    }
}
