package io.fanout.coordinator.outbox;

import io.fanout.coordinator.deadletter.LetterRecords;
import io.fanout.coordinator.deadletter.LetterSend;
import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.dispatch.TaskPublisher;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewDeadLetter;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.query.RunQueries;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-drives what the outbox says is owed: derives every record again from the rows it names (a
 * task still DISPATCHED gets its current attempt's record, an ended job its final event, an ended workflow run its final event, a letter
 * its dead-letter record, a parked letter its parking record, a replayed unreadable record its bytes), sends them, and settles the rows once the brokers have them all. What is
 * no longer owed (a task an executor has reported since) is not sent. Receivers absorb the
 * duplicates a re-drive can make: statuses are keyed by attempt, and events and letters are
 * idempotent.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    public static final int ROWS_PER_PASS = 200;
    /** How long one row's records may take to be acknowledged before the row is left for the next pass. */
    private static final Duration SEND_WAIT = Duration.ofSeconds(10);

    private final Outbox outbox;
    private final JobStore jobs;
    private final TaskStore tasks;
    private final Effects effects;
    private final LetterRecords letterRecords;

    public Reconciler(Outbox outbox, JobStore jobs, TaskStore tasks, Effects effects, LetterRecords letterRecords) {
        this.letterRecords = letterRecords;
        this.outbox = outbox;
        this.jobs = jobs;
        this.tasks = tasks;
        this.effects = effects;
    }

    /**
     * What one pass did: rows read, rows settled, what their re-sent records were, the rows whose
     * records failed, and whether it stopped early because the brokers did not answer in time.
     */
    public record Pass(int rows, int settled, int tasks, int events, int letters, Set<Long> failed, boolean stalled) {
        public boolean isEmpty() {
            return rows == 0;
        }
    }

    /**
     * Re-drives the rows of {@code partitions} at least {@code minAge} old, except {@code excluded}
     * (still being sent by this process). Each row is settled on its own records' acknowledgements:
     * a row whose records cannot be sent now stays owed (it is returned in {@link Pass#failed}) and
     * does not hold up the others. {@code conn} is in auto-commit mode.
     */
    public Pass reconcile(Connection conn, Collection<Integer> partitions, Duration minAge, Collection<Long> excluded) throws Exception {
        List<Outbox.Entry> entries = outbox.owed(conn, partitions, minAge, excluded, ROWS_PER_PASS);
        int settled = 0;
        int taskCount = 0;
        int eventCount = 0;
        int letterCount = 0;
        Set<Long> failed = new HashSet<>();
        for (Outbox.Entry e : entries) {
            int p = e.partition();
            List<Send> sends = new ArrayList<>();
            List<TaskDispatch> owedTasks = e.taskIds().isEmpty() ? List.of() : tasks.stillDispatched(conn, e.taskJobs(), e.taskIds());
            for (TaskPublisher.Sent s : effects.tasks().publish(owedTasks)) {
                sends.add(new Send(s.ack(), o -> s.tasks().forEach(d -> o.task(p, d.task().jobId(), d.task().taskId()))));
            }
            List<JobStore.Ended> ended = e.finalJobs().isEmpty() ? List.of() : jobs.ended(conn, e.finalJobs());
            for (JobStore.Ended x : ended) {
                if (x.job().state() == JobState.CANCELLED) {
                    sends.add(new Send(effects.control().cancel(x.job().jobId()), o -> o.finalEvent(p, x.job().jobId())));
                }
                sends.add(new Send(effects.events().publish(finalEvent(x)), o -> o.finalEvent(p, x.job().jobId())));
            }
            List<RunQueries.Run> endedRuns = e.finalRuns().isEmpty() ? List.of()
                    : RunQueries.runs(conn, e.finalRuns()).values().stream().filter(r -> JobState.valueOf(r.state()).isTerminal()).toList();
            endedRuns.forEach(r -> sends.add(new Send(effects.events().publish(WorkflowRuns.runFinished(r)), o -> o.finalRun(p, r.runId()))));
            List<NewDeadLetter> owedLetters = e.letters().isEmpty() ? List.of() : DeadLetterStore.taskLetters(conn, e.letters());
            owedLetters.forEach(l -> sends.add(new Send(effects.deadLetters().publish(l), o -> o.letter(p, l.id()))));
            List<LetterSend> letterSends = e.letterParks().isEmpty() && e.letterReturns().isEmpty() ? List.of()
                    : letterRecords.owed(conn, e.letterParks(), e.letterReturns());
            letterSends.forEach(l -> sends.add(new Send(effects.deadLetters().send(l.record()),
                    o -> o.letterSend(p, l.letterId(), l.kind() == LetterSend.Kind.PARK))));
            Owed unsent = new Owed();
            Throwable why = null;
            try {
                for (Send s : sends) {
                    try {
                        s.future().get(SEND_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException x) {
                        s.stillOwed().accept(unsent);
                        why = x.getCause();
                    }
                }
            } catch (TimeoutException x) {
                // The brokers are away: the rest of the pass would wait the same. What is left stays owed for the next one.
                log.warn("outbox row {} of partition {}: no acknowledgement within {} ms; the reconcile pass stops here", e.id(), e.partition(),
                        SEND_WAIT.toMillis());
                failed.add(e.id());
                return new Pass(entries.size(), settled, taskCount, eventCount, letterCount, failed, true);
            }
            if (!unsent.isEmpty()) {
                // Only what could not be sent stays owed: the rest is not sent again at every pass (issue S1), where its tasks would run again.
                outbox.narrow(conn, e.id(), unsent);
                log.error("outbox row {} of partition {}: some of its records could not be sent ({}); only those stay owed and are tried again at the "
                        + "next pass", e.id(), e.partition(), why.toString());
                failed.add(e.id());
                continue;
            }
            outbox.settle(conn, List.of(e.id()));
            settled++;
            taskCount += owedTasks.size();
            eventCount += ended.size() + endedRuns.size();
            letterCount += owedLetters.size() + letterSends.size();
        }
        Pass pass = new Pass(entries.size(), settled, taskCount, eventCount, letterCount, failed, false);
        if (!pass.isEmpty()) {
            log.info("reconciled {} of {} outbox rows of partitions {}: re-sent {} task records, {} final events, {} dead letters", settled, entries.size(),
                    partitions, taskCount, eventCount, letterCount);
        }
        return pass;
    }

    /** A record re-sent, and how to say it is still owed if it is not acknowledged. */
    private record Send(Future<RecordMetadata> future, Consumer<Owed> stillOwed) {
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
