package io.fanout.coordinator.loop;

import io.fanout.coordinator.intake.JobIntake.Accepted;
import io.fanout.coordinator.intake.JobIntake.Rejected;
import io.fanout.coordinator.intake.JobIntake;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.StagedStatus;
import io.fanout.coordinator.store.RetryQueue;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.shared.json.Json;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.StatusMessage;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one poll batch to PostgreSQL inside the caller's transaction: accepts job requests,
 * stores mapped subtasks, applies status events, and decides outcomes from the durable counters.
 * What must happen after the commit (dispatch, events, reduce) is returned, not done here, so a
 * rolled-back batch has no effect anywhere.
 */
public final class BatchProcessor {

    private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);

    private final JobIntake intake;
    private final JobStore jobs;
    private final TaskStore tasks;
    private final WaitingTasks waiting = new WaitingTasks();
    private final RetryQueue retries = new RetryQueue();
    private final Clock clock;
    private final FailurePolicy failures;
    private final TaskLiveness liveness = new TaskLiveness();
    private final FanoutMeters meters;
    private final Counter acceptedJobs;
    private final Counter rejectedJobs;

    private final PriorityDispatch window;

    public BatchProcessor(JobIntake intake, JobStore jobs, TaskStore tasks, Clock clock, FanoutMeters meters, int dispatchWindow) {
        this.window = new PriorityDispatch(dispatchWindow, jobs, waiting);
        this.meters = meters;
        this.acceptedJobs = meters.jobsAccepted();
        this.rejectedJobs = meters.jobsRejected();
        this.intake = intake;
        this.jobs = jobs;
        this.tasks = tasks;
        this.clock = clock;
        this.failures = new FailurePolicy(clock, () -> ThreadLocalRandom.current().nextDouble());
    }

    TaskLiveness liveness() {
        return liveness;
    }

    PriorityDispatch window() {
        return window;
    }

    JobStore jobs() {
        return jobs;
    }

    TaskStore tasks() {
        return tasks;
    }

    RetryQueue retries() {
        return retries;
    }

    /**
     * @param synthetic status events the coordinator made itself (attempts presumed lost)
     * @param owned the partitions this coordinator owns (whose waiting tasks a dispatch window releases)
     */
    AfterCommit process(Connection conn, List<ConsumerRecord<byte[], byte[]>> jobRecords, List<ConsumerRecord<byte[], byte[]>> statusRecords,
                        List<StatusBatch> synthetic, Collection<Integer> owned) throws SQLException {
        AfterCommit after = new AfterCommit();
        List<NewTask> newTasks = new ArrayList<>();
        List<MapRequest> maps = new ArrayList<>();
        StatusCoalescer statuses = new StatusCoalescer();
        long now = clock.millis();
        for (ConsumerRecord<byte[], byte[]> record : statusRecords) {
            try {
                switch (WireCodec.decodeStatus(record.value())) {
                    case MapRequest m -> maps.add(m);
                    case StatusBatch b -> {
                        statuses.add(b);
                        liveness.observe(record.partition(), b, now);
                    }
                }
            } catch (WireFormatException e) {
                log.warn("unreadable status record {}-{}@{} goes to the dead-letter topic: {}", record.topic(), record.partition(), record.offset(),
                        e.getMessage());
                after.unreadable.add(new AfterCommit.Unreadable(record, e));
            }
        }
        synthetic.forEach(statuses::add);
        Set<UUID> held = new HashSet<>();
        accept(conn, jobRecords, newTasks, held, after);
        mapChildren(conn, maps, newTasks, held, after);
        if (newTasks.isEmpty() && statuses.statuses().isEmpty()) {
            return after;
        }
        tasks.insert(conn, newTasks, held);
        List<StagedStatus> staged = failures.decide(conn, jobs, statuses.statuses());
        tasks.stageStatuses(conn, staged);
        List<JobRow> done = new ArrayList<>();
        for (JobRow job : staged.isEmpty() ? List.<JobRow>of() : tasks.applyStatuses(conn)) {
            if (job.state().isTerminal()) {
                continue; // a cancelled job's late news changes nothing
            }
            (job.allTasksDone() ? done : after.progressed).add(job);
            if (!window.enabled() && job.parallelism() > 0 && job.state() != JobState.SUSPENDED) {
                after.tasks.addAll(waiting.release(conn, job, job.dispatchBudget())); // finished tasks made room
            }
        }
        if (staged.stream().anyMatch(st -> st.letterReason() != null)) {
            after.deadLetters.addAll(tasks.indexStagedLetters(conn));
        }
        after.retries = staged.stream().filter(st -> st.retryAt() > 0).count();
        complete(conn, done, after);
        after.tasks.addAll(window.release(conn, owned));
        return after;
    }

    private void accept(Connection conn, List<ConsumerRecord<byte[], byte[]>> records, List<NewTask> newTasks, Set<UUID> held, AfterCommit after)
            throws SQLException {
        List<JobStore.NewJob> accepted = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            switch (intake.decide(record)) {
                case Rejected r -> {
                    rejectedJobs.increment();
                    log.warn("rejected job request {}: {}", r.source(), r.reason());
                    jobs.recordRejection(conn, r.jobId(), r.source(), r.reason(), r.request());
                    after.events.add(new JobEvent(JobEvent.Type.REJECTED, r.jobId(), null, null, null, null, null, null, r.reason(), r.source(), now()));
                }
                case Accepted a -> accepted.add(new JobStore.NewJob(a.request(), a.partition()));
            }
        }
        Instant acceptedAt = clock.instant();
        Set<UUID> created = jobs.insert(conn, accepted, acceptedAt);
        Set<UUID> seen = new HashSet<>();
        for (JobStore.NewJob job : accepted) {
            JobRequest req = job.request();
            if (!seen.add(req.id())) {
                continue; // the same request twice in one batch
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
                    new JobEvent.TaskCounts(initial.size(), 0, 0), null, null, null, null, now()));
        }
    }

    private static JobRow acceptedJob(JobRequest req, int ownerPartition, Instant acceptedAt) {
        long deadline = req.deadline() == null ? 0 : acceptedAt.plus(req.deadline()).toEpochMilli();
        return new JobRow(req.id(), req.key(), req.processor(), req.pool(), JobState.RUNNING, ownerPartition, 0, 0, 0, false, req.retry(),
                req.taskTimeout() == null ? 0 : req.taskTimeout().toMillis(), deadline, req.maxFailedTasks(), req.parallelism(), 0,
                req.priority());
    }

    private static List<NewTask> initialTasks(JobRequest req) {
        if (!req.isStaticFanOut()) {
            byte[] params = req.params() == null ? null : Json.toBytes(req.params());
            return List.of(new NewTask(req.id(), TaskIds.root(req.id()), null, TaskKind.ROOT, TaskKind.ROOT_TASK_NAME,
                    params == null ? PayloadFormat.NONE : PayloadFormat.JSON, params));
        }
        List<NewTask> items = new ArrayList<>(req.items().size());
        for (int i = 0; i < req.items().size(); i++) {
            items.add(new NewTask(req.id(), TaskIds.child(req.id(), 0, i), null, TaskKind.MAPPED, req.taskName(), PayloadFormat.JSON,
                    Json.toBytes(req.items().get(i))));
        }
        return items;
    }

    /**
     * Stores the children of map requests: dispatched while their job's parallelism allows, held
     * (added to {@code held}) beyond it or while the job is suspended.
     */
    private void mapChildren(Connection conn, List<MapRequest> maps, List<NewTask> newTasks, Set<UUID> held, AfterCommit after) throws SQLException {
        if (maps.isEmpty()) {
            return;
        }
        Set<UUID> jobIds = new HashSet<>();
        maps.forEach(m -> jobIds.add(m.jobId()));
        Map<UUID, JobRow> known = jobs.load(conn, jobIds);
        Map<UUID, Long> budgets = new HashMap<>();
        for (MapRequest m : maps) {
            JobRow job = known.get(m.jobId());
            if (job == null || job.state() != JobState.RUNNING && job.state() != JobState.SUSPENDED) {
                log.warn("map of {} tasks by task {} ignored: job {} is {}", m.payloads().size(), m.parentTaskId(), m.jobId(),
                        job == null ? "unknown" : job.state());
                continue;
            }
            try {
                JobRequests.checkTaskName(m.taskName());
            } catch (InvalidJobRequestException e) {
                log.warn("map by task {} of job {} ignored: {}", m.parentTaskId(), m.jobId(), e.getMessage());
                continue;
            }
            for (int i = 0; i < m.payloads().size(); i++) {
                NewTask child = new NewTask(m.jobId(), TaskIds.child(m.parentTaskId(), m.mapCall(), m.firstIndex() + i), m.parentTaskId(),
                        TaskKind.MAPPED, m.taskName(), PayloadFormat.KRYO, m.payloads().get(i));
                newTasks.add(child);
                long budget = budgets.computeIfAbsent(job.jobId(), id -> job.state() == JobState.SUSPENDED || window.enabled() ? 0 : job.dispatchBudget());
                if (budget > 0) {
                    budgets.put(job.jobId(), budget - 1);
                    after.tasks.add(TaskDispatch.first(child, job));
                } else {
                    held.add(child.taskId()); // suspended, or at its parallelism: released later
                }
            }
        }
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
            JobState next = job.failed() > job.maxFailedTasks() || job.state() == JobState.REDUCING && !reduceSucceeded(conn, job) ? JobState.FAILED
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

    private boolean reduceSucceeded(Connection conn, JobRow job) throws SQLException {
        TaskStore.Current reduce = tasks.current(conn, job.jobId(), TaskIds.reduce(job.jobId()));
        return reduce != null && reduce.state() == TaskState.SUCCEEDED;
    }

    private String now() {
        return clock.instant().toString();
    }
}
