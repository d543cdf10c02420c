package io.fanout.coordinator.control;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.coordinator.store.WorkflowStore.Node;
import io.fanout.coordinator.store.WorkflowStore.Run;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.NodeState;
import io.fanout.shared.workflow.WorkflowDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operates workflow runs: cancel, suspend, resume, retry from failure, and mark a node succeeded.
 * Each is one transaction that locks the run first (as the owner does when it moves a run on), so
 * the two take turns. None starts a node itself: resume, retry and mark-succeeded wake the run,
 * and its owner starts what is due, fenced by its partition's epoch.
 */
public final class WorkflowControl {

    private static final Logger log = LoggerFactory.getLogger(WorkflowControl.class);
    private static final List<String> OPEN = List.of(JobState.RUNNING.name(), JobState.SUSPENDED.name());
    private static final List<String> ENDED_BADLY = List.of(JobState.FAILED.name(), JobState.CANCELLED.name());
    private static final List<NodeState> NOT_SUCCEEDED = List.of(NodeState.PENDING, NodeState.FAILED, NodeState.CANCELLED, NodeState.UPSTREAM_FAILED,
            NodeState.SKIPPED);

    private final DataSource db;
    private final Effects effects;
    private final Outbox outbox;
    private final WorkflowStore store = new WorkflowStore();
    private final WorkflowRuns workflows = new WorkflowRuns(store, Clock.systemUTC());
    private final JobStore jobs = new JobStore();
    private final TaskStore tasks = new TaskStore();

    public WorkflowControl(DataSource db, Effects effects, Outbox outbox) {
        this.db = db;
        this.effects = effects;
        this.outbox = outbox;
    }

    /** Workflow control over a producer of its own (the CLI's). */
    public WorkflowControl(DataSource db, Producer<byte[], byte[]> producer, TopicNames topics) {
        this(db, Effects.over(producer, topics), new Outbox());
    }

    /**
     * Cancels the run: its pending nodes never start, the jobs of its running nodes are cancelled
     * (executors stop their tasks). The final events and cancel orders are owed in the outbox.
     */
    public JobControl.Result cancel(UUID runId, String actor) throws Exception {
        String reason = "cancelled by " + actor;
        List<JobRow> cancelledJobs = new ArrayList<>();
        Run run;
        List<Long> owed;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            run = store.moveRun(c, runId, OPEN, JobState.CANCELLED.name(), reason, false);
            if (run == null) {
                return refused(c, runId, "cancelled (it has ended)");
            }
            store.endNodesOfEndedJobs(c, List.of(runId)); // a node whose job has just ended keeps its outcome
            Owed o = new Owed().finalRun(run.ownerPartition(), runId);
            for (UUID job : store.cancelNodes(c, runId)) { // in id order, as every statement that locks several jobs
                JobRow j = jobs.move(c, job, List.copyOf(JobState.OPEN), JobState.CANCELLED, reason);
                if (j != null) {
                    tasks.cancelUnfinished(c, List.of(job));
                    cancelledJobs.add(j);
                    o.finalEvent(j.ownerPartition(), job);
                }
            }
            owed = outbox.record(c, o);
            c.commit();
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        for (JobRow j : cancelledJobs) {
            sends.add(effects.control().cancel(j.jobId()));
            sends.add(effects.events().publish(new JobEvent(JobEvent.Type.CANCELLED, j.jobId(), j.key(), j.processor(), JobState.CANCELLED, j.counts(),
                    null, reason, null, null, now())));
        }
        sends.add(effects.events().publish(WorkflowRuns.runFinished(run)));
        await(sends);
        settle(owed);
        log.info("workflow run {} CANCELLED by {}: {} running node jobs cancelled", runId, actor, cancelledJobs.size());
        return new JobControl.Result(true, true, "workflow run " + runId + " cancelled: " + cancelledJobs.size() + " running node jobs cancelled");
    }

    /** Suspends the run: no new node starts; running ones finish. */
    public JobControl.Result suspend(UUID runId, String actor) throws Exception {
        Run run = inTransaction(c -> store.moveRun(c, runId, List.of(JobState.RUNNING.name()), JobState.SUSPENDED.name(), null, false));
        if (run == null) {
            return refusedNow(runId, "suspended (only a RUNNING run can be)");
        }
        await(List.of(effects.events().publish(WorkflowRuns.runEvent(JobEvent.Type.SUSPENDED, run, JobState.SUSPENDED, null))));
        log.info("workflow run {} SUSPENDED by {}", runId, actor);
        return new JobControl.Result(true, true, "workflow run " + runId + " suspended: no new node starts until it is resumed; running ones finish");
    }

    /** Resumes a suspended run: its owner starts the nodes that became due meanwhile. */
    public JobControl.Result resume(UUID runId, String actor) throws Exception {
        Run run = inTransaction(c -> store.moveRun(c, runId, List.of(JobState.SUSPENDED.name()), JobState.RUNNING.name(), null, true));
        if (run == null) {
            return refusedNow(runId, "resumed (it is not suspended)");
        }
        await(List.of(effects.events().publish(WorkflowRuns.runEvent(JobEvent.Type.RESUMED, run, JobState.RUNNING, null))));
        log.info("workflow run {} RESUMED by {}", runId, actor);
        return new JobControl.Result(true, true, "workflow run " + runId + " resumed");
    }

    /**
     * Runs a failed or cancelled run again from where it failed: its failed, cancelled and
     * upstream-failed nodes, and the nodes after them that did not succeed, run again (each with a
     * new attempt, so a new job); succeeded nodes keep their results and do not run again. With
     * {@code from}, that node and every node after it run again, succeeded or not.
     */
    public JobControl.Result retry(UUID runId, String from, String actor) throws Exception {
        List<String> again = new ArrayList<>();
        JobControl.Result refused = inTransaction(c -> {
            Run run = store.lockRuns(c, List.of(runId)).get(runId);
            if (run == null) {
                return new JobControl.Result(false, false, "no workflow run " + runId);
            }
            if (!ENDED_BADLY.contains(run.state()) && !(from != null && run.state().equals(JobState.SUCCEEDED.name()))) {
                return refusal(run, "only a failed or cancelled run is retried (a succeeded one with --from)");
            }
            WorkflowDefinition def = workflows.definition(c, run);
            Map<String, Node> nodes = store.nodes(c, List.of(runId)).get(runId);
            if (from != null) {
                if (def.node(from) == null) {
                    return refusal(run, "its workflow " + run.workflow() + " v" + run.version() + " has no node '" + from + "'");
                }
                again.add(from);
                again.addAll(def.downstreamOf(List.of(from)));
            } else {
                nodes.values().stream().filter(n -> n.state().isFailure()).forEach(n -> again.add(n.node()));
                def.downstreamOf(List.copyOf(again)).stream().filter(n -> nodes.get(n).state() != NodeState.SUCCEEDED && !again.contains(n)).forEach(again::add);
            }
            if (again.isEmpty()) {
                return refusal(run, "it has no failed node to run again");
            }
            store.resetNodes(c, runId, again);
            store.moveRun(c, runId, List.of(run.state()), JobState.RUNNING.name(), null, true);
            return null;
        });
        if (refused != null) {
            return refused;
        }
        log.info("workflow run {} retried by {}: nodes {} run again", runId, actor, again);
        return new JobControl.Result(true, true, "workflow run " + runId + " retried: " + String.join(", ", again) + " run again");
    }

    /**
     * Ends a node that did not succeed SUCCEEDED with the given result, as an operator says, and
     * lets the run go on: the nodes after it that did not succeed become pending again, and an ended
     * run runs again. Refused while a node after it runs (its job would go on unseen): wait for it,
     * or cancel the run first.
     */
    public JobControl.Result markSucceeded(UUID runId, String node, JsonNode result, String actor) throws Exception {
        JobControl.Result refused = inTransaction(c -> {
            Run run = store.lockRuns(c, List.of(runId)).get(runId);
            if (run == null) {
                return new JobControl.Result(false, false, "no workflow run " + runId);
            }
            if (run.state().equals(JobState.SUCCEEDED.name())) {
                return refusal(run, "it has succeeded");
            }
            WorkflowDefinition def = workflows.definition(c, run);
            if (def.node(node) == null) {
                return refusal(run, "its workflow " + run.workflow() + " v" + run.version() + " has no node '" + node + "'");
            }
            Map<String, Node> nodes = store.nodes(c, List.of(runId)).get(runId);
            List<String> after = def.downstreamOf(List.of(node)).stream().filter(n -> nodes.get(n).state() != NodeState.SUCCEEDED).toList();
            List<String> running = after.stream().filter(n -> nodes.get(n).state() == NodeState.RUNNING).toList();
            if (!running.isEmpty()) {
                return refusal(run, "nodes after " + node + " are running (" + String.join(", ", running) + "): wait for them, or cancel the run first");
            }
            if (!store.markSucceeded(c, runId, node, result == null ? null : Json.toText(result), NOT_SUCCEEDED)) {
                return refusal(run, "node " + node + " is running or has succeeded: only a node that did not succeed is marked");
            }
            store.resetNodes(c, runId, after);
            store.moveRun(c, runId, List.of(run.state()), run.state().equals(JobState.SUSPENDED.name()) ? run.state() : JobState.RUNNING.name(), null, true);
            return null;
        });
        if (refused != null) {
            return refused;
        }
        log.info("workflow run {}: node {} marked SUCCEEDED by {}", runId, node, actor);
        return new JobControl.Result(true, true, "workflow run " + runId + ": node " + node + " marked succeeded");
    }

    private static JobControl.Result refusal(Run run, String why) {
        return new JobControl.Result(false, true, "workflow run " + run.runId() + " (" + run.state() + "): " + why);
    }

    private interface Step<T> {
        T apply(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Step<T> step) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            T result = step.apply(c);
            c.commit();
            return result;
        }
    }

    private JobControl.Result refusedNow(UUID runId, String what) throws SQLException {
        try (Connection c = db.getConnection()) {
            return refused(c, runId, what);
        }
    }

    private JobControl.Result refused(Connection c, UUID runId, String what) throws SQLException {
        Run run = store.runs(c, List.of(runId)).get(runId);
        return run == null ? new JobControl.Result(false, false, "no workflow run " + runId)
                : new JobControl.Result(false, true, "workflow run " + runId + " is " + run.state() + ": it cannot be " + what);
    }

    private void settle(List<Long> owed) {
        try (Connection c = db.getConnection()) {
            outbox.settle(c, owed);
        } catch (SQLException e) {
            log.warn("outbox rows {} not settled (their records are sent; the run's coordinator sends them again): {}", owed, e.toString());
        }
    }

    private static void await(List<Future<RecordMetadata>> sends) throws Exception {
        for (Future<RecordMetadata> f : sends) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    private static String now() {
        return java.time.Instant.now().toString();
    }
}
