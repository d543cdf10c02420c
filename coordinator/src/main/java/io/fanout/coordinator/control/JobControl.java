package io.fanout.coordinator.control;

import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancel, suspend and resume a job. Each is one transaction guarded by the job's state, so it is
 * safe whichever coordinator owns the job: the owner's own transitions only move jobs from the
 * states they expect. Cancelling also tells every executor (control topic) to stop the job's
 * running tasks and skip the rest. Suspending holds back the job's new tasks (subtasks mapped
 * from now on, retries) and tells every executor to start none of the job's tasks but hand them
 * back; the coordinator holds what comes back. Resuming dispatches everything held.
 */
public final class JobControl {

    private static final Logger log = LoggerFactory.getLogger(JobControl.class);
    private static final int RESUME_CHUNK = 5_000;

    /** What a control operation did: {@code done}, or why not. */
    public record Result(boolean done, boolean found, String message) {
    }

    private final DataSource db;
    private final Effects effects;
    private final Outbox outbox;
    private final JobStore jobs = new JobStore();
    private final TaskStore tasks = new TaskStore();
    private final WaitingTasks waiting = new WaitingTasks();

    public JobControl(DataSource db, Effects effects, Outbox outbox) {
        this.db = db;
        this.effects = effects;
        this.outbox = outbox;
    }

    /** Job control over a producer of its own (the CLI's). */
    public JobControl(DataSource db, Producer<byte[], byte[]> producer, TopicNames topics) {
        this(db, Effects.over(producer, topics), new Outbox());
    }

    /**
     * Cancels the job, and tells executors and followers. The cancel order and the final event are
     * owed in the outbox by the cancelling transaction, so the job's coordinator sends them again if
     * this process dies before the brokers have them.
     */
    public Result cancel(UUID jobId, String actor) throws Exception {
        JobRow job;
        int cancelled;
        List<Long> owed;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            job = jobs.move(c, jobId, List.copyOf(JobState.OPEN), JobState.CANCELLED, "cancelled by " + actor);
            if (job == null) {
                c.rollback();
                return refused(c, jobId, "cancelled");
            }
            cancelled = tasks.cancelUnfinished(c, List.of(jobId));
            owed = outbox.record(c, new Owed().finalEvent(job.ownerPartition(), jobId));
            c.commit();
        }
        await(List.of(effects.control().cancel(jobId), effects.events().publish(event(JobEvent.Type.CANCELLED, job, "cancelled by " + actor))));
        settle(owed);
        log.info("job {} CANCELLED by {}: {} unfinished tasks cancelled", jobId, actor, cancelled);
        return new Result(true, true, "job " + jobId + " cancelled: " + cancelled + " unfinished tasks cancelled, running ones are being stopped");
    }

    /**
     * Suspends a running job: no task of it starts anywhere from now on (running ones finish).
     * The executors' order is sent after the commit; suspending an already suspended job sends it
     * again, for the case where the suspending process died in between.
     */
    public Result suspend(UUID jobId, String actor) throws Exception {
        JobRow job;
        boolean already = false;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            job = jobs.move(c, jobId, List.of(JobState.RUNNING), JobState.SUSPENDED, null);
            if (job == null) {
                job = jobs.load(c, List.of(jobId)).get(jobId);
                c.rollback();
                if (job == null || job.state() != JobState.SUSPENDED) {
                    return refused(c, jobId, "suspended (only a RUNNING job can be)");
                }
                already = true;
            } else {
                c.commit();
            }
        }
        Future<RecordMetadata> order = effects.control().suspend(jobId);
        await(already ? List.of(order) : List.of(order, effects.events().publish(event(JobEvent.Type.SUSPENDED, job, null))));
        if (already) {
            return new Result(true, true, "job " + jobId + " was already suspended: executors told again to start none of its tasks");
        }
        log.info("job {} SUSPENDED by {}", jobId, actor);
        return new Result(true, true, "job " + jobId + " suspended: none of its tasks starts until it is resumed; running ones finish");
    }

    /**
     * Resumes a suspended job and dispatches the tasks held meanwhile: released and owed in the
     * outbox in the resuming transaction, then sent (the job's coordinator re-sends them if this
     * process dies first). The executors' resume order goes first, so that they do not hand the
     * released tasks back; should it be lost, the job's coordinator sends it again when a task
     * comes back from a running job.
     */
    public Result resume(UUID jobId, String actor) throws Exception {
        JobRow job;
        List<TaskDispatch> released = new ArrayList<>();
        List<Long> owed;
        await(List.of(effects.control().resume(jobId)));
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            job = jobs.move(c, jobId, List.of(JobState.SUSPENDED), JobState.RUNNING, null);
            if (job == null) {
                c.rollback();
                return refused(c, jobId, "resumed (it is not suspended)");
            }
            // Without a parallelism limit every held task goes now; with one, as many as it allows (the rest as tasks finish).
            long budget = job.dispatchBudget();
            List<TaskDispatch> chunk;
            while (budget > 0 && !(chunk = waiting.release(c, job, Math.min(budget, RESUME_CHUNK))).isEmpty()) {
                released.addAll(chunk);
                budget -= chunk.size();
            }
            Owed o = new Owed();
            for (TaskDispatch d : released) {
                o.task(job.ownerPartition(), jobId, d.task().taskId());
            }
            owed = outbox.record(c, o);
            c.commit();
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        released.forEach(d -> sent.add(effects.tasks().publish(d)));
        sent.add(effects.events().publish(event(JobEvent.Type.RESUMED, job, null)));
        await(sent);
        settle(owed);
        log.info("job {} RESUMED by {}: {} held tasks dispatched", jobId, actor, released.size());
        return new Result(true, true, "job " + jobId + " resumed: " + released.size() + " held tasks dispatched");
    }

    /** The records are acknowledged: their outbox rows are owed no more (if this fails, the job's coordinator sends them again, harmlessly). */
    private void settle(List<Long> owed) {
        try (Connection c = db.getConnection()) {
            outbox.settle(c, owed);
        } catch (SQLException e) {
            log.warn("outbox rows {} not settled (their records are sent; the job's coordinator sends them again): {}", owed, e.toString());
        }
    }

    private Result refused(Connection c, UUID jobId, String what) throws SQLException {
        Map<UUID, JobRow> found = jobs.load(c, List.of(jobId));
        if (found.isEmpty()) {
            return new Result(false, false, "no job " + jobId);
        }
        return new Result(false, true, "job " + jobId + " is " + found.get(jobId).state() + ": it cannot be " + what);
    }

    private static JobEvent event(JobEvent.Type type, JobRow job, String error) {
        return new JobEvent(type, job.jobId(), job.key(), job.processor(), job.state(), job.counts(), null, error, null, null, Instant.now().toString());
    }

    private static void await(List<Future<RecordMetadata>> sends) throws Exception {
        for (Future<RecordMetadata> f : sends) {
            f.get(30, TimeUnit.SECONDS);
        }
    }
}
