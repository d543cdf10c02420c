package io.fanout.coordinator.loop;

import io.fanout.coordinator.control.Commands;
import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.intake.JobIntake.Accepted;
import io.fanout.coordinator.intake.JobIntake.Rejected;
import io.fanout.coordinator.intake.JobIntake;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.RetryQueue;
import io.fanout.coordinator.store.StagedStatus;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskStatuses;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WaitingTasks;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.Limits;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import io.micrometer.core.instrument.Counter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongFunction;
import java.util.function.ToIntFunction;
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
    private final Counter rejectedJobs;
    private final JobAcceptance acceptance;
    private final WorkflowRuns workflows;

    private final PriorityDispatch window;
    private final Commands commands;
    private final LetterActions letters;
    private final JobDecisions decisions;

    public BatchProcessor(JobIntake intake, JobStore jobs, TaskStore tasks, LetterActions letters, Clock clock, FanoutMeters meters, int dispatchWindow) {
        this.letters = letters;
        this.window = new PriorityDispatch(dispatchWindow, jobs, waiting);
        this.meters = meters;
        this.acceptance = new JobAcceptance(jobs, window, clock, meters.jobsAccepted());
        WorkflowStore workflowStore = new WorkflowStore();
        this.workflows = new WorkflowRuns(workflowStore, clock, intake.webhooks());
        this.rejectedJobs = meters.jobsRejected();
        this.intake = intake;
        this.jobs = jobs;
        this.tasks = tasks;
        this.clock = clock;
        this.failures = new FailurePolicy(clock, () -> ThreadLocalRandom.current().nextDouble());
        this.commands = new Commands(jobs, tasks, waiting, workflowStore, workflows, letters, clock);
        this.decisions = new JobDecisions(jobs, tasks, waiting, window, meters, clock);
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

    LetterActions letters() {
        return letters;
    }

    /**
     * Where the parts of a large batch are applied: on several connections at once, each part a
     * transaction of its own that records what it owes Kafka and checks the partitions are still
     * this coordinator's.
     */
    interface Parts {
        /** How many parts are applied at once. */
        int width();

        /** Applies every part, each in a transaction of its own, at once; returns when all have committed, or throws. */
        List<AfterCommit> applyAll(List<Part> parts) throws Exception;
    }

    /** One part of a batch: its task rows, in whatever transaction it is given. */
    @FunctionalInterface
    interface Part {
        AfterCommit apply(Connection c) throws Exception;
    }

    /** Batches with fewer new tasks and statuses than this are applied in one transaction: a parallel apply costs two more commits. */
    static final int PARALLEL_FROM = 1_000;

    /**
     * Applies a batch in three steps. New tasks first (jobs accepted and children mapped), then
     * statuses, then the decisions on their jobs (completion, releases). With a wide {@code parts}
     * and a large batch, the first two steps are split by task id into parts applied on several
     * connections at once, each committing on its own, and the last runs in {@code conn}'s
     * transaction after them; otherwise every step runs in {@code conn}'s transaction. Committing
     * the steps in this order keeps what a crash between them can leave legitimate: a map's
     * children are stored before the status that ends their parent, so a job is never counted
     * done without them; and the decisions are taken from the durable counters of every job the
     * batch touched, so a batch applied again after a failure decides what the first try did not.
     *
     * @param synthetic status events the coordinator made itself (attempts presumed lost)
     * @param owned the partitions this coordinator owns (whose waiting tasks a dispatch window releases)
     */
    AfterCommit process(Connection conn, List<ConsumerRecord<byte[], byte[]>> jobRecords, List<ConsumerRecord<byte[], byte[]>> statusRecords,
                        List<StatusBatch> synthetic, Collection<Integer> owned, Parts parts) throws Exception {
        AfterCommit after = new AfterCommit();
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
        List<JobIntake.Decision> requests = new ArrayList<>();
        List<Commands.Received> received = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : jobRecords) {
            JobIntake.Decision d = intake.decide(record);
            if (d instanceof JobIntake.CommandReceived(var command)) {
                received.add(new Commands.Received(command, record));
            } else {
                requests.add(d);
            }
        }
        List<NewTask> children = new ArrayList<>();
        Set<UUID> heldChildren = new HashSet<>();
        List<TaskDispatch> childDispatches = new ArrayList<>();
        mapChildren(conn, maps, children, heldChildren, childDispatches);
        int width = children.size() + statuses.statuses().size() >= PARALLEL_FROM ? parts.width() : 1;

        List<List<NewTask>> newTasks = split(children, width, t -> heldChildren.contains(t.taskId()) ? 0 : shard(t.taskId(), width));
        List<List<TaskDispatch>> dispatches = split(childDispatches, width, d -> shard(d.task().taskId(), width));
        List<NewTask> firstPart = new ArrayList<>(newTasks.get(0)); // where accepted jobs' tasks join
        List<Part> store = new ArrayList<>();
        for (int i = 0; i < width; i++) {
            boolean first = i == 0;
            List<NewTask> mine = first ? firstPart : newTasks.get(i);
            List<TaskDispatch> mineSent = dispatches.get(i);
            if (mine.isEmpty() && !(first && !requests.isEmpty())) {
                continue;
            }
            store.add(c -> {
                AfterCommit a = new AfterCommit();
                Set<UUID> held = first ? new HashSet<>(heldChildren) : Set.of(); // a job's held tasks stay in one part, in order
                if (first) {
                    accept(c, requests, mine, held, a);
                }
                Set<UUID> stored = tasks.insert(c, mine, held);
                // a map applied again (its parent re-run, or its record read again) sends only what it stored now: a child
                // stored before is owed by the outbox of the batch that stored it, and may have run (mapChildren takes each once)
                mineSent.stream().filter(d -> stored.contains(d.task().taskId())).forEach(a.tasks::add);
                return a;
            });
        }
        apply(conn, store, width, parts, after);
        if (!children.isEmpty() || !firstPart.isEmpty() || !statuses.statuses().isEmpty()) {
            applyStatuses(conn, statuses, width, parts, owned, after);
        }
        after.add(commands.apply(conn, received, !window.enabled()));
        if (!after.ended.isEmpty()) {
            advanceRunsOf(conn, owned, after.ended.stream().map(JobRow::jobId).toList(), after);
        }
        return after;
    }

    /**
     * The batch's statuses applied (in parts with a wide {@code parts}), then the decisions on their
     * jobs in {@code conn}'s transaction, and the waiting tasks a dispatch window has room for.
     */
    private void applyStatuses(Connection conn, StatusCoalescer statuses, int width, Parts parts, Collection<Integer> owned, AfterCommit after)
            throws Exception {
        List<StagedStatus> staged = failures.decide(conn, jobs, statuses.statuses());
        Set<UUID> moved = ConcurrentHashMap.newKeySet();
        List<Part> apply = new ArrayList<>();
        for (List<StagedStatus> mine : split(staged, width, st -> shard(st.taskId(), width))) {
            if (mine.isEmpty()) {
                continue;
            }
            apply.add(c -> {
                AfterCommit a = new AfterCommit();
                moved.addAll(TaskStatuses.apply(c, mine));
                if (mine.stream().anyMatch(st -> st.letterReason() != null)) {
                    a.deadLetters.addAll(TaskStatuses.indexStagedLetters(c));
                }
                return a;
            });
        }
        apply(conn, apply, width, parts, after);
        after.retries = staged.stream().filter(st -> st.retryAt() > 0).count();

        Set<UUID> touched = new HashSet<>();
        Set<UUID> returned = new HashSet<>();
        Set<UUID> started = new HashSet<>();
        List<StagedStatus> handedBack = new ArrayList<>();
        for (StagedStatus st : staged) {
            touched.add(st.jobId());
            if (st.state() == TaskState.SUSPENDED) {
                returned.add(st.jobId());
                handedBack.add(st);
            } else if (st.state() == TaskState.RECEIVED || st.state() == TaskState.RUNNING) {
                started.add(st.jobId());
            }
        }
        if (!handedBack.isEmpty()) { // before the decisions release them: the ones the apply held again are CREATED now
            liveness.handedBack(tasks.heldAgain(conn, handedBack));
        }
        decisions.decide(conn, touched, moved, returned, started, after);
        after.tasks.addAll(window.release(conn, owned));
    }

    /**
     * The parts one after another in {@code conn}'s transaction, or, wider than one, at once in
     * transactions of their own. Then {@code conn}'s transaction must hold no lock a part may wait
     * for (it has only read so far), and every part commits before the next step begins.
     */
    private static void apply(Connection conn, List<Part> steps, int width, Parts parts, AfterCommit after) throws Exception {
        if (width <= 1) {
            for (Part p : steps) {
                after.add(p.apply(conn));
            }
            return;
        }
        after.committed.addAll(parts.applyAll(steps));
    }

    private static int shard(UUID taskId, int width) {
        return Math.floorMod(taskId.hashCode(), width);
    }

    private static <T> List<List<T>> split(List<T> items, int width, ToIntFunction<T> shard) {
        List<List<T>> parts = new ArrayList<>(width);
        for (int i = 0; i < width; i++) {
            parts.add(new ArrayList<>());
        }
        for (T item : items) {
            parts.get(width == 1 ? 0 : shard.applyAsInt(item)).add(item);
        }
        return parts;
    }

    /** The batch's job requests accepted (or rejected) and its workflow run requests started, with the first tasks in {@code newTasks}. */
    private void accept(Connection conn, List<JobIntake.Decision> requests, List<NewTask> newTasks, Set<UUID> held, AfterCommit after)
            throws SQLException {
        List<JobStore.NewJob> accepted = new ArrayList<>();
        List<WorkflowRuns.Requested> runs = new ArrayList<>();
        for (JobIntake.Decision request : requests) {
            switch (request) {
                case Rejected r -> reject(conn, r.jobId(), r.source(), r.reason(), r.request(), after);
                case Accepted a -> accepted.add(new JobStore.NewJob(a.request(), a.partition()));
                case JobIntake.RunRequested r -> runs.add(r.request());
                case JobIntake.CommandReceived c -> throw new IllegalStateException("commands are carried out after the batch's statuses");
            }
        }
        acceptance.accept(conn, accepted, newTasks, held, after);
        if (!runs.isEmpty()) {
            WorkflowRuns.Decisions decided = new WorkflowRuns.Decisions();
            workflows.start(conn, runs, intake::reasonAgainst, decided);
            carryOut(conn, decided, newTasks, held, after);
        }
    }

    /**
     * Moves on the workflow runs of these partitions whose node jobs have ended, or that an operator
     * woke, starting the nodes that are due, in {@code conn}'s transaction.
     */
    AfterCommit advanceWorkflows(Connection conn, Collection<Integer> partitions) throws SQLException {
        AfterCommit after = new AfterCommit();
        WorkflowRuns.Decisions decided = new WorkflowRuns.Decisions();
        workflows.advance(conn, partitions, decided);
        carryOutAdvance(conn, decided, after);
        return after;
    }

    /**
     * The runs whose nodes were these jobs, which the batch ended, move on in the batch's
     * transaction: their next nodes start with the node's end. A run that cannot be moved on (a
     * definition gone, a node that cannot start) does not fail the batch that ended its node: it is
     * rolled back to before it and left to the housekeeping round, which finds the run again and
     * reports its failure there.
     */
    private void advanceRunsOf(Connection conn, Collection<Integer> owned, List<UUID> endedJobs, AfterCommit after) throws SQLException {
        Set<UUID> runs = workflows.runsOf(conn, owned, endedJobs);
        if (runs.isEmpty()) {
            return;
        }
        Savepoint before = conn.setSavepoint();
        try {
            WorkflowRuns.Decisions decided = new WorkflowRuns.Decisions();
            workflows.advanceRuns(conn, runs, decided);
            AfterCommit advanced = new AfterCommit();
            carryOutAdvance(conn, decided, advanced);
            conn.releaseSavepoint(before);
            after.add(advanced);
        } catch (SQLException | RuntimeException e) {
            if (DatabaseRetry.isTransient(e)) {
                throw e;
            }
            conn.rollback(before);
            log.warn("workflow runs {} not moved on with the batch that ended their nodes ({}); the housekeeping round tries again", runs,
                    e.toString());
        }
    }

    private void carryOutAdvance(Connection conn, WorkflowRuns.Decisions decided, AfterCommit after) throws SQLException {
        List<NewTask> newTasks = new ArrayList<>();
        Set<UUID> held = new HashSet<>();
        carryOut(conn, decided, newTasks, held, after);
        tasks.insert(conn, newTasks, held);
    }

    /** Carries out what workflow runs decided: node jobs accepted (their first tasks join {@code newTasks}), rejections recorded, events owed. */
    private void carryOut(Connection conn, WorkflowRuns.Decisions decided, List<NewTask> newTasks, Set<UUID> held, AfterCommit after) throws SQLException {
        for (WorkflowRuns.Rejection r : decided.rejected) {
            reject(conn, r.runId(), r.source(), r.reason(), r.request(), after);
        }
        acceptance.accept(conn, decided.jobs, newTasks, held, after);
        after.events.addAll(decided.events);
        decided.events.stream().filter(e -> e.type() == JobEvent.Type.RUN_FINISHED).forEach(e -> meters.workflowRunsFinished(e.state().name()).increment());
        after.endedRuns.addAll(decided.ended);
    }

    private void reject(Connection conn, UUID id, String source, String untrimmedReason, String request, AfterCommit after) throws SQLException {
        String reason = Limits.truncate(untrimmedReason, Limits.MAX_REASON_CHARS); // it may quote the request
        rejectedJobs.increment();
        log.warn("rejected request {}: {}", source, reason);
        jobs.recordRejection(conn, id, source, reason, request);
        after.events.add(new JobEvent(JobEvent.Type.REJECTED, id, null, null, null, null, null, null, reason, source, now()));
    }

    /**
     * Stores the children of map requests: dispatched while their job's parallelism allows, held
     * (added to {@code held}) beyond it or while the job is suspended.
     */
    private void mapChildren(Connection conn, List<MapRequest> maps, List<NewTask> newTasks, Set<UUID> held, List<TaskDispatch> dispatches)
            throws SQLException {
        if (maps.isEmpty()) {
            return;
        }
        Set<UUID> jobIds = new HashSet<>();
        maps.forEach(m -> jobIds.add(m.jobId()));
        Map<UUID, JobRow> known = jobs.load(conn, jobIds);
        Map<UUID, Long> budgets = new HashMap<>();
        Set<UUID> seen = new HashSet<>(); // a map twice in this batch: its children once, the budget spent once
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
            if (m.firstIndex() < 0 || m.firstIndex() > TaskIds.MAX_INDEX - m.payloads().size() + 1) {
                log.warn("map of {} tasks by task {} of job {} ignored: its items' indexes from {} are out of range", m.payloads().size(),
                        m.parentTaskId(), m.jobId(), m.firstIndex());
                continue;
            }
            LongFunction<UUID> ids = job.childIds(m.parentTaskId(), m.mapCall());
            for (int i = 0; i < m.payloads().size(); i++) {
                NewTask child = new NewTask(m.jobId(), ids.apply(m.firstIndex() + i), m.parentTaskId(),
                        TaskKind.MAPPED, m.taskName(), PayloadFormat.KRYO, m.payloads().get(i));
                if (!seen.add(child.taskId())) {
                    continue;
                }
                newTasks.add(child);
                long budget = budgets.computeIfAbsent(job.jobId(), id -> job.state() == JobState.SUSPENDED || window.enabled() ? 0 : job.dispatchBudget());
                if (budget > 0) {
                    budgets.put(job.jobId(), budget - 1);
                    dispatches.add(TaskDispatch.first(child, job));
                } else {
                    held.add(child.taskId()); // suspended, or at its parallelism: released later
                }
            }
        }
    }

    private String now() {
        return clock.instant().toString();
    }
}
