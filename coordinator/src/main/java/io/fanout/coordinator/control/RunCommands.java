package io.fanout.coordinator.control;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.coordinator.workflow.WorkflowRuns;
import io.fanout.query.RunQueries.Node;
import io.fanout.query.RunQueries.Run;
import io.fanout.query.RunQueries;
import io.fanout.shared.command.RunCommand;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.NodeState;
import io.fanout.shared.workflow.WorkflowDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the commands for workflow runs (cancel, suspend, resume, retry, mark-succeeded) of
 * the partitions this coordinator owns, in its loop's transaction, as {@link JobCommands} does for
 * jobs: forwarded when read on another partition, recorded once, answered each time. None starts a
 * node: resume, retry and mark-succeeded wake the run, and the same loop's next round starts what
 * is due.
 */
final class RunCommands {

    private static final Logger log = LoggerFactory.getLogger(RunCommands.class);
    private static final List<String> OPEN = List.of(JobState.RUNNING.name(), JobState.SUSPENDED.name());
    private static final List<String> ENDED_BADLY = List.of(JobState.FAILED.name(), JobState.CANCELLED.name());
    private static final List<NodeState> NOT_SUCCEEDED = List.of(NodeState.PENDING, NodeState.FAILED, NodeState.CANCELLED, NodeState.UPSTREAM_FAILED,
            NodeState.SKIPPED);

    /** Why a command was not carried out. */
    private static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final WorkflowStore store;
    private final WorkflowRuns workflows;
    private final JobStore jobs;
    private final TaskStore tasks;
    private final CommandLog commands = new CommandLog();
    private final Clock clock;

    RunCommands(WorkflowStore store, WorkflowRuns workflows, JobStore jobs, TaskStore tasks, Clock clock) {
        this.store = store;
        this.workflows = workflows;
        this.jobs = jobs;
        this.tasks = tasks;
        this.clock = clock;
    }

    /** Carries out the command, read from {@code record}, in {@code c}'s transaction, adding what they owe Kafka to {@code out}. */
    void apply(Connection c, RunCommand cmd, ConsumerRecord<byte[], byte[]> record, CommandEffects out) throws SQLException {
        Run run = store.lockRuns(c, List.of(cmd.runId())).get(cmd.runId());
        if (run == null) {
            out.answers.add(new JobEvent(JobEvent.Type.REFUSED, cmd.runId(), null, null, null, null, null, null, null, null, now())
                    .answering(cmd.id(), "no workflow run " + cmd.runId()));
            return;
        }
        if (run.ownerPartition() != record.partition()) {
            out.forwards.add(new CommandEffects.Forward(run.ownerPartition(), record));
            return;
        }
        CommandLog.Applied before = commands.find(c, cmd.id());
        if (before != null) {
            out.answers.add((before.done() ? doneEvent(cmd, run) : refusedEvent(run)).answering(cmd.id(), before.message()));
            return;
        }
        String message;
        JobEvent answer;
        try {
            message = switch (cmd.kind()) {
                case CANCEL -> cancel(c, cmd, run, out);
                case SUSPEND -> move(c, cmd, run, JobState.RUNNING, JobState.SUSPENDED, false, "suspended: no new node starts until it is resumed; "
                        + "running ones finish", "suspended (only a RUNNING run can be)");
                case RESUME -> move(c, cmd, run, JobState.SUSPENDED, JobState.RUNNING, true, "resumed", "resumed (it is not suspended)");
                case RETRY -> retry(c, cmd, run);
                case MARK_SUCCEEDED -> markSucceeded(c, cmd, run);
            };
            answer = doneEvent(cmd, RunQueries.runs(c, List.of(run.runId())).get(run.runId()));
        } catch (Refused e) {
            message = e.getMessage();
            answer = refusedEvent(run);
        }
        commands.record(c, cmd, answer.type() != JobEvent.Type.REFUSED, message);
        out.answers.add(answer.answering(cmd.id(), message));
    }

    /**
     * Cancels the run: its pending nodes never start, the jobs of its running nodes are cancelled
     * (their final events and the executors' cancel orders owed), and so is the run's final event.
     */
    private String cancel(Connection c, RunCommand cmd, Run run, CommandEffects out) throws SQLException, Refused {
        String reason = "cancelled by " + cmd.actor();
        Run cancelled = store.moveRun(c, run.runId(), OPEN, JobState.CANCELLED.name(), reason, false);
        if (cancelled == null) {
            throw refusal(run, "cancelled (it has ended)");
        }
        store.endNodesOfEndedJobs(c, List.of(run.runId())); // a node whose job has just ended keeps its outcome
        int stopped = 0;
        for (UUID job : store.cancelNodes(c, run.runId())) { // in id order, as every statement that locks several jobs
            JobRow j = jobs.move(c, job, List.copyOf(JobState.OPEN), JobState.CANCELLED, reason);
            if (j != null) {
                tasks.cancelUnfinished(c, List.of(job));
                out.endedJobs.add(j);
                out.cancelOrders.add(job);
                out.answers.add(new JobEvent(JobEvent.Type.CANCELLED, j.jobId(), j.key(), j.processor(), JobState.CANCELLED, j.counts(), null, reason,
                        null, null, now()));
                stopped++;
            }
        }
        out.endedRuns.add(new WorkflowRuns.EndedRun(run.ownerPartition(), run.runId()));
        log.info("workflow run {} CANCELLED by {}: {} running node jobs cancelled", run.runId(), cmd.actor(), stopped);
        return "workflow run " + run.runId() + " cancelled: " + stopped + " running node jobs cancelled";
    }

    private String move(Connection c, RunCommand cmd, Run run, JobState from, JobState to, boolean wake, String done, String refused)
            throws SQLException, Refused {
        if (store.moveRun(c, run.runId(), List.of(from.name()), to.name(), null, wake) == null) {
            throw new Refused("workflow run " + run.runId() + " is " + run.state() + ": it cannot be " + refused);
        }
        log.info("workflow run {} {} by {}", run.runId(), to, cmd.actor());
        return "workflow run " + run.runId() + " " + done;
    }

    /**
     * Runs a failed or cancelled run again from where it failed: its failed, cancelled and
     * upstream-failed nodes, and the nodes after them that did not succeed, run again (each with a
     * new attempt, so a new job); succeeded nodes keep their results and do not run again. With a
     * node, that node and every node after it run again, succeeded or not.
     */
    private String retry(Connection c, RunCommand cmd, Run run) throws SQLException, Refused {
        String from = cmd.node();
        if (!ENDED_BADLY.contains(run.state()) && !(from != null && run.state().equals(JobState.SUCCEEDED.name()))) {
            throw refusal(run, "only a failed or cancelled run is retried (a succeeded one from a node)");
        }
        WorkflowDefinition def = workflows.definition(c, run);
        Map<String, Node> nodes = RunQueries.nodes(c, List.of(run.runId())).get(run.runId());
        List<String> again = new ArrayList<>();
        if (from != null) {
            if (def.node(from) == null) {
                throw refusal(run, "its workflow " + run.workflow() + " v" + run.version() + " has no node '" + from + "'");
            }
            again.add(from);
            again.addAll(def.downstreamOf(List.of(from)));
        } else {
            nodes.values().stream().filter(n -> n.state().isFailure()).forEach(n -> again.add(n.node()));
            def.downstreamOf(List.copyOf(again)).stream().filter(n -> nodes.get(n).state() != NodeState.SUCCEEDED && !again.contains(n)).forEach(again::add);
        }
        if (again.isEmpty()) {
            throw refusal(run, "it has no failed node to run again");
        }
        store.resetNodes(c, run.runId(), again);
        store.moveRun(c, run.runId(), List.of(run.state()), JobState.RUNNING.name(), null, true);
        log.info("workflow run {} retried by {}: nodes {} run again", run.runId(), cmd.actor(), again);
        return "workflow run " + run.runId() + " retried: " + String.join(", ", again) + " run again";
    }

    /**
     * Ends a node that did not succeed SUCCEEDED with the given result, as an operator says, and
     * lets the run go on: the nodes after it that did not succeed become pending again, and an ended
     * run runs again. Refused while a node after it runs (its job would go on unseen).
     */
    private String markSucceeded(Connection c, RunCommand cmd, Run run) throws SQLException, Refused {
        String node = cmd.node();
        if (run.state().equals(JobState.SUCCEEDED.name())) {
            throw refusal(run, "it has succeeded");
        }
        WorkflowDefinition def = workflows.definition(c, run);
        if (def.node(node) == null) {
            throw refusal(run, "its workflow " + run.workflow() + " v" + run.version() + " has no node '" + node + "'");
        }
        Map<String, Node> nodes = RunQueries.nodes(c, List.of(run.runId())).get(run.runId());
        List<String> after = def.downstreamOf(List.of(node)).stream().filter(n -> nodes.get(n).state() != NodeState.SUCCEEDED).toList();
        List<String> running = after.stream().filter(n -> nodes.get(n).state() == NodeState.RUNNING).toList();
        if (!running.isEmpty()) {
            throw refusal(run, "nodes after " + node + " are running (" + String.join(", ", running) + "): wait for them, or cancel the run first");
        }
        if (!store.markSucceeded(c, run.runId(), node, cmd.result() == null ? null : Json.toText(cmd.result()), NOT_SUCCEEDED)) {
            throw refusal(run, "node " + node + " is running or has succeeded: only a node that did not succeed is marked");
        }
        store.resetNodes(c, run.runId(), after);
        store.moveRun(c, run.runId(), List.of(run.state()), run.state().equals(JobState.SUSPENDED.name()) ? run.state() : JobState.RUNNING.name(), null,
                true);
        log.info("workflow run {}: node {} marked SUCCEEDED by {}", run.runId(), node, cmd.actor());
        return "workflow run " + run.runId() + ": node " + node + " marked succeeded";
    }

    /** The event that says a command was carried out: the run's final event, SUSPENDED, RESUMED (resume, retry) or the node's NODE_FINISHED. */
    private JobEvent doneEvent(RunCommand cmd, Run run) throws SQLException {
        return switch (cmd.kind()) {
            case CANCEL -> WorkflowRuns.runFinished(run);
            case SUSPEND -> WorkflowRuns.runEvent(JobEvent.Type.SUSPENDED, run, JobState.valueOf(run.state()), null);
            case RESUME, RETRY -> WorkflowRuns.runEvent(JobEvent.Type.RESUMED, run, JobState.valueOf(run.state()), null);
            case MARK_SUCCEEDED -> WorkflowRuns.nodeEvent(JobEvent.Type.NODE_FINISHED, run, new Node(cmd.node(), NodeState.SUCCEEDED, 0, null,
                    cmd.result() == null ? null : Json.toText(cmd.result()), null, null, null));
        };
    }

    private static JobEvent refusedEvent(Run run) {
        return WorkflowRuns.runEvent(JobEvent.Type.REFUSED, run, JobState.valueOf(run.state()), null);
    }

    private static Refused refusal(Run run, String why) {
        return new Refused("workflow run " + run.runId() + " (" + run.state() + "): " + why);
    }

    private String now() {
        return clock.instant().toString();
    }
}
