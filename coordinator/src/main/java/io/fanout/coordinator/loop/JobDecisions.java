package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.shared.json.Json;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows for the jobs a batch's statuses touched, decided from their durable counters in the
 * batch's transaction: a job ends, starts its reduce, progresses, or releases held tasks.
 */
final class JobDecisions {

    private static final Logger log = LoggerFactory.getLogger(JobDecisions.class);

    private final JobStore jobs;
    private final TaskStore tasks;
    private final WaitingTasks waiting;
    private final PriorityDispatch window;
    private final FanoutMeters meters;
    private final Clock clock;

    JobDecisions(JobStore jobs, TaskStore tasks, WaitingTasks waiting, PriorityDispatch window, FanoutMeters meters, Clock clock) {
        this.jobs = jobs;
        this.tasks = tasks;
        this.waiting = waiting;
        this.window = window;
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * The jobs whose statuses the batch applied, as they are now: those whose every task is done
     * end (or start their reduce), the others progressed, and a job with a parallelism limit
     * releases as many held tasks as finished. A job ends from its durable counters whether or not
     * this try of the batch moved them; a reducing job only once its reduce task has finished. A
     * running job some of whose tasks executors {@code returned} (they saw it suspended, it has been
     * resumed since) dispatches its held tasks again and repeats the resume order; a suspended job
     * whose tasks executors {@code started} repeats the suspend order.
     */
    void decide(Connection conn, Set<UUID> touched, Set<UUID> moved, Set<UUID> returned, Set<UUID> started, AfterCommit after)
            throws SQLException {
        List<JobRow> done = new ArrayList<>();
        for (JobRow job : jobs.load(conn, touched).values()) {
            if (job.state().isTerminal()) {
                continue; // a cancelled job's late news changes nothing
            }
            if (job.allTasksDone() && (job.state() != JobState.REDUCING || reduceEnded(conn, job))) {
                done.add(job);
            } else if (moved.contains(job.jobId())) {
                after.progressed.add(job);
            }
            if (!window.enabled() && job.state() == JobState.RUNNING && (job.parallelism() > 0 || returned.contains(job.jobId()))) {
                after.tasks.addAll(waiting.release(conn, job, job.dispatchBudget())); // finished tasks made room, or returned ones may run
            }
            if (job.state() == JobState.RUNNING && returned.contains(job.jobId())) {
                after.resumeOrders.add(job.jobId());
            } else if (job.state() == JobState.SUSPENDED && started.contains(job.jobId())) {
                after.suspendOrders.add(job.jobId());
            }
        }
        complete(conn, done, after);
    }

    /** Every task of these jobs is done: decide what comes next from the durable counters, in one statement. */
    private void complete(Connection conn, List<JobRow> done, AfterCommit after) throws SQLException {
        if (done.isEmpty()) {
            return;
        }
        Map<UUID, JobRow> byId = new HashMap<>();
        List<JobStore.Transition> transitions = new ArrayList<>();
        for (JobRow job : done) {
            byId.put(job.jobId(), job);
            JobState next = job.failed() > job.maxFailedTasks() || job.state() == JobState.REDUCING && reduceState(conn, job) != TaskState.SUCCEEDED ? JobState.FAILED
                    : job.state() != JobState.REDUCING && job.reduceRequired() ? JobState.REDUCING
                    : JobState.SUCCEEDED;
            UUID resultTask = job.state() == JobState.REDUCING ? TaskIds.reduce(job.jobId()) : TaskIds.root(job.jobId());
            transitions.add(new JobStore.Transition(job.jobId(), job.state(), next, resultTask));
        }
        for (JobStore.Finished f : jobs.transition(conn, transitions)) {
            JobRow job = byId.get(f.jobId());
            if (f.state() == JobState.REDUCING) {
                log.info("job {}: all {} tasks succeeded, starting reduce", job.jobId(), job.total());
                after.reduces.add(job.withState(JobState.REDUCING));
                continue;
            }
            meters.jobsFinished(f.state().name()).increment();
            after.ended.add(job.withState(f.state()));
            log.info("job {} {}: tasks={} succeeded={} failed={}{}", job.jobId(), f.state(), job.total(), job.succeeded(), job.failed(),
                    f.error() == null ? "" : " error=" + f.error());
            after.events.add(new JobEvent(f.state() == JobState.SUCCEEDED ? JobEvent.Type.SUCCEEDED : JobEvent.Type.FAILED, job.jobId(), job.key(),
                    job.processor(), f.state(), job.counts(), f.resultJson() == null ? null : Json.readTree(f.resultJson()), f.error(), null, null,
                    now()));
        }
    }

    private boolean reduceEnded(Connection conn, JobRow job) throws SQLException {
        TaskState reduce = reduceState(conn, job);
        return reduce != null && reduce.isTerminal();
    }

    /** The state of the job's reduce task, or null before it is stored. */
    private TaskState reduceState(Connection conn, JobRow job) throws SQLException {
        TaskStore.Current reduce = tasks.current(conn, job.jobId(), TaskIds.reduce(job.jobId()));
        return reduce == null ? null : reduce.state();
    }

    private String now() {
        return clock.instant().toString();
    }
}
