package io.fanout.coordinator.control;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.shared.command.JobCommand;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out cancel, suspend and resume commands for the jobs of the partitions this coordinator
 * owns, in its loop's transaction: the job's owner is the only process that changes the job. A
 * command read on another partition than its job's is forwarded there. Each command is recorded
 * with its outcome ({@link CommandLog}), so one read again is answered again and carried out once.
 * What must reach Kafka is returned as {@link CommandEffects}.
 */
final class JobCommands {

    private static final Logger log = LoggerFactory.getLogger(JobCommands.class);
    private static final int RESUME_CHUNK = 5_000;

    private final JobStore jobs;
    private final TaskStore tasks;
    private final WaitingTasks waiting;
    private final CommandLog commands = new CommandLog();
    private final Clock clock;

    JobCommands(JobStore jobs, TaskStore tasks, WaitingTasks waiting, Clock clock) {
        this.jobs = jobs;
        this.tasks = tasks;
        this.waiting = waiting;
        this.clock = clock;
    }

    /**
     * Carries out the command, read from {@code record}, in {@code c}'s transaction, adding what they owe Kafka to {@code out}.
     *
     * @param releaseHeld whether a resume releases the job's held tasks itself (not with a dispatch window, which releases them by priority)
     */
    void apply(Connection c, JobCommand cmd, ConsumerRecord<byte[], byte[]> record, boolean releaseHeld, CommandEffects out) throws SQLException {
        JobRow job = jobs.load(c, List.of(cmd.jobId())).get(cmd.jobId());
        if (job == null) {
            out.answers.add(new JobEvent(JobEvent.Type.REFUSED, cmd.jobId(), null, null, null, null, null, null, null, null, now())
                    .answering(cmd.id(), "no job " + cmd.jobId()));
            return;
        }
        if (job.ownerPartition() != record.partition()) {
            out.forwards.add(new CommandEffects.Forward(job.ownerPartition(), record));
            return;
        }
        CommandLog.Applied before = commands.find(c, cmd.id());
        if (before != null) {
            answerAgain(cmd, job, before, out);
            return;
        }
        String message = switch (cmd.kind()) {
            case CANCEL -> cancel(c, cmd, job, out);
            case SUSPEND -> suspend(c, cmd, job, out);
            case RESUME -> resume(c, cmd, job, releaseHeld, out);
        };
        JobEvent answer = out.answers.getLast();
        commands.record(c, cmd, answer.type() != JobEvent.Type.REFUSED, message);
    }

    private String cancel(Connection c, JobCommand cmd, JobRow job, CommandEffects out) throws SQLException {
        String error = "cancelled by " + cmd.actor();
        JobRow cancelled = jobs.move(c, job.jobId(), List.copyOf(JobState.OPEN), JobState.CANCELLED, error);
        if (cancelled == null) {
            return refuse(cmd, job, "cancelled", out);
        }
        int stopped = tasks.cancelUnfinished(c, List.of(job.jobId()));
        String message = "job " + job.jobId() + " cancelled: " + stopped + " unfinished tasks cancelled, running ones are being stopped";
        log.info("job {} CANCELLED by {}: {} unfinished tasks cancelled", job.jobId(), cmd.actor(), stopped);
        out.endedJobs.add(cancelled);
        out.cancelOrders.add(job.jobId());
        out.answers.add(event(JobEvent.Type.CANCELLED, cancelled, error).answering(cmd.id(), message));
        return message;
    }

    /** Suspending a suspended job is done again: the executors' order is sent again, in case the first was lost. */
    private String suspend(Connection c, JobCommand cmd, JobRow job, CommandEffects out) throws SQLException {
        JobRow suspended = jobs.move(c, job.jobId(), List.of(JobState.RUNNING), JobState.SUSPENDED, null);
        if (suspended == null && job.state() != JobState.SUSPENDED) {
            return refuse(cmd, job, "suspended (only a RUNNING job can be)", out);
        }
        String message = suspended == null ? "job " + job.jobId() + " was already suspended: executors told again to start none of its tasks"
                : "job " + job.jobId() + " suspended: none of its tasks starts until it is resumed; running ones finish";
        if (suspended != null) {
            log.info("job {} SUSPENDED by {}", job.jobId(), cmd.actor());
        }
        out.suspendOrders.add(job.jobId());
        out.answers.add(event(JobEvent.Type.SUSPENDED, suspended == null ? job : suspended, null).answering(cmd.id(), message));
        return message;
    }

    /**
     * Resumes the job and dispatches the tasks held meanwhile, as many as its parallelism allows (the
     * rest as its tasks finish). The executors' resume order is sent with them; an executor that
     * reads a released task before the order hands it back, and the job's owner, seeing a task
     * handed back by a running job, dispatches it again and repeats the order.
     */
    private String resume(Connection c, JobCommand cmd, JobRow job, boolean releaseHeld, CommandEffects out) throws SQLException {
        JobRow resumed = jobs.move(c, job.jobId(), List.of(JobState.SUSPENDED), JobState.RUNNING, null);
        if (resumed == null) {
            return refuse(cmd, job, "resumed (it is not suspended)", out);
        }
        List<TaskDispatch> released = new ArrayList<>();
        long budget = releaseHeld ? resumed.dispatchBudget() : 0;
        while (budget > 0) {
            List<TaskDispatch> chunk = waiting.release(c, resumed, Math.min(budget, RESUME_CHUNK));
            released.addAll(chunk);
            budget -= chunk.size();
            if (chunk.isEmpty() && !waiting.anyHeld(c, job.jobId())) {
                break; // an empty chunk only dropped held rows of tasks no longer waiting: go on while any is left
            }
        }
        String message = "job " + job.jobId() + " resumed: " + released.size() + " held tasks dispatched";
        log.info("job {} RESUMED by {}: {} held tasks dispatched", job.jobId(), cmd.actor(), released.size());
        out.released.addAll(released);
        out.resumeOrders.add(job.jobId());
        out.answers.add(event(JobEvent.Type.RESUMED, resumed, null).answering(cmd.id(), message));
        return message;
    }

    private String refuse(JobCommand cmd, JobRow job, String what, CommandEffects out) {
        String message = "job " + job.jobId() + " is " + job.state() + ": it cannot be " + what;
        out.answers.add(event(JobEvent.Type.REFUSED, job, null).answering(cmd.id(), message));
        return message;
    }

    /**
     * A command carried out before: the same answer, and the executors' order again while the job is
     * still as the command left it (the first order may not have been sent; a later command's order
     * must not be undone by an old one).
     */
    private void answerAgain(JobCommand cmd, JobRow job, CommandLog.Applied before, CommandEffects out) {
        if (!before.done()) {
            out.answers.add(event(JobEvent.Type.REFUSED, job, null).answering(cmd.id(), before.message()));
            return;
        }
        JobEvent.Type type = switch (cmd.kind()) {
            case CANCEL -> JobEvent.Type.CANCELLED;
            case SUSPEND -> JobEvent.Type.SUSPENDED;
            case RESUME -> JobEvent.Type.RESUMED;
        };
        switch (cmd.kind()) {
            case CANCEL -> out.cancelOrders.add(job.jobId()); // a cancelled job stays cancelled
            case SUSPEND -> {
                if (job.state() == JobState.SUSPENDED) {
                    out.suspendOrders.add(job.jobId());
                }
            }
            case RESUME -> {
                if (job.state() == JobState.RUNNING) {
                    out.resumeOrders.add(job.jobId());
                }
            }
        }
        out.answers.add(event(type, job, null).answering(cmd.id(), before.message()));
    }

    private JobEvent event(JobEvent.Type type, JobRow job, String error) {
        return new JobEvent(type, job.jobId(), job.key(), job.processor(), job.state(), job.counts(), null, error, null, null, now());
    }

    private String now() {
        return clock.instant().toString();
    }
}
