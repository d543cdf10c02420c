package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates jobs from accepted requests, whether a client sent them or a workflow run started a
 * node: the job rows in one statement, and each new job's first tasks (its root task, or one per
 * static item), dispatched as far as its parallelism allows and held beyond it.
 */
final class JobAcceptance {

    private static final Logger log = LoggerFactory.getLogger(JobAcceptance.class);

    private final JobStore jobs;
    private final PriorityDispatch window;
    private final Clock clock;
    private final Counter acceptedJobs;

    JobAcceptance(JobStore jobs, PriorityDispatch window, Clock clock, Counter acceptedJobs) {
        this.jobs = jobs;
        this.window = window;
        this.clock = clock;
        this.acceptedJobs = acceptedJobs;
    }

    /**
     * Creates the jobs not created before (same id or key): their first tasks join {@code newTasks}
     * for the caller to store, those beyond a job's parallelism also {@code held}; the dispatches and
     * ACCEPTED events join {@code after}.
     */
    void accept(Connection conn, List<JobStore.NewJob> accepted, List<NewTask> newTasks, Set<UUID> held, AfterCommit after) throws SQLException {
        if (accepted.isEmpty()) {
            return;
        }
        Instant acceptedAt = clock.instant();
        Set<UUID> created = jobs.insert(conn, accepted, acceptedAt);
        List<UUID> notCreated = accepted.stream().map(j -> j.request().id()).filter(id -> !created.contains(id)).toList();
        // only a request that created nothing can be for a job being purged: the common case pays no query
        Set<UUID> purging = notCreated.isEmpty() ? Set.of() : jobs.beingPurged(conn, notCreated);
        Set<UUID> seen = new HashSet<>();
        for (JobStore.NewJob job : accepted) {
            JobRequest req = job.request();
            if (!seen.add(req.id())) {
                continue; // the same request twice in one batch
            }
            if (purging.contains(req.id())) {
                refuseWhilePurged(conn, req, after);
                continue;
            }
            if (!created.contains(req.id())) {
                // A request seen before (same id or key). What its first acceptance owes Kafka is in the outbox, re-sent by the
                // job's owner if it never left, so nothing is sent again here (a duplicate would run tasks twice).
                log.info("duplicate job request for {} (key {}) ignored", req.id(), req.key());
                continue;
            }
            List<NewTask> initial = initialTasks(req);
            newTasks.addAll(initial);
            JobRow row = acceptedJob(req, job.ownerPartition(), acceptedAt);
            long budget = window.enabled() ? 0 : row.dispatchBudget();
            for (NewTask t : initial) {
                if (budget-- > 0) {
                    after.tasks.add(TaskDispatch.first(t, row));
                } else {
                    held.add(t.taskId()); // beyond the job's parallelism: released as its tasks finish
                }
            }
            acceptedJobs.increment();
            log.info("job {} accepted: processor={} pool={} key={} tasks={}", req.id(), req.processor(), req.pool(), req.key(), initial.size());
            after.events.add(new JobEvent(JobEvent.Type.ACCEPTED, req.id(), req.key(), req.processor(), JobState.RUNNING,
                    new JobEvent.TaskCounts(initial.size(), 0, 0), null, null, null, null, clock.instant().toString()));
        }
    }

    /** A request for a job retention deleted a moment ago: rejected, with a reason that says to send it again shortly. */
    private void refuseWhilePurged(Connection conn, JobRequest req, AfterCommit after) throws SQLException {
        String reason = "job " + req.id() + " was deleted by retention a moment ago and its tasks are still being removed: submit it again shortly";
        log.warn("request for job {} (key {}) rejected: {}", req.id(), req.key(), reason);
        jobs.recordRejection(conn, req.id(), "retention", reason, null);
        after.events.add(new JobEvent(JobEvent.Type.REJECTED, req.id(), req.key(), req.processor(), null, null, null, null, reason, "retention",
                clock.instant().toString()));
    }

    private static JobRow acceptedJob(JobRequest req, int ownerPartition, Instant acceptedAt) {
        long deadline = req.deadline() == null ? 0 : acceptedAt.plus(req.deadline()).toEpochMilli();
        return new JobRow(req.id(), req.key(), req.processor(), req.pool(), JobState.RUNNING, ownerPartition, 0, 0, 0, false, req.retry(),
                req.taskTimeout() == null ? 0 : req.taskTimeout().toMillis(), deadline, req.maxFailedTasks(), req.parallelism(), 0,
                req.priority(), true);
    }

    private static List<NewTask> initialTasks(JobRequest req) {
        if (!req.isStaticFanOut()) {
            byte[] params = req.params() == null ? null : Json.toBytes(req.params());
            return List.of(new NewTask(req.id(), TaskIds.root(req.id()), null, TaskKind.ROOT, TaskKind.ROOT_TASK_NAME,
                    params == null ? PayloadFormat.NONE : PayloadFormat.JSON, params));
        }
        List<NewTask> items = new ArrayList<>(req.items().size());
        LongFunction<UUID> ids = TaskIds.children(req.id(), 0);
        for (int i = 0; i < req.items().size(); i++) {
            items.add(new NewTask(req.id(), ids.apply(i), null, TaskKind.MAPPED, req.taskName(), PayloadFormat.JSON,
                    Json.toBytes(req.items().get(i))));
        }
        return items;
    }
}
