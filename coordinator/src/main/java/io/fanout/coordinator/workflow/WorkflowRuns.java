package io.fanout.coordinator.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.coordinator.alert.WebhookAllowList;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.coordinator.workflow.WorkflowVersions;
import io.fanout.query.RunQueries.Node;
import io.fanout.query.RunQueries.Run;
import io.fanout.query.RunQueries;
import io.fanout.shared.Pools;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.Webhooks;
import io.fanout.shared.workflow.NodeState;
import io.fanout.shared.workflow.References;
import io.fanout.shared.workflow.TriggerRule;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowNode;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks workflow runs: creates a run and starts its first nodes, and, each time node jobs end,
 * records how they ended, decides every pending node its trigger rule and condition now settle
 * (start it, skip it, or fail it upstream) and ends the run when every node has ended. Every step
 * runs inside the caller's transaction, which also starts the node jobs it decides on, so a node
 * is started and recorded together or not at all; a node's job id is derived from (run, node,
 * attempt), so a step applied twice starts one job.
 */
public final class WorkflowRuns {

    private static final Logger log = LoggerFactory.getLogger(WorkflowRuns.class);

    /** A run request read from the jobs topic, with where it came from. */
    public record Requested(WorkflowRunRequest request, int partition, String source, String text) {
    }

    /** Why a coordinator would refuse a node's job: null if it would accept it. */
    @FunctionalInterface
    public interface JobCheck {
        String reasonAgainst(String processor, String pool);
    }

    /** A run request that cannot run, and why. */
    public record Rejection(UUID runId, String source, String reason, String request) {
    }

    /** A run that ended: its final event is owed. */
    public record EndedRun(int ownerPartition, UUID runId) {
    }

    /** What one step decided, for the caller to carry out in the same transaction (jobs) and after it (events). */
    public static final class Decisions {
        public final List<JobStore.NewJob> jobs = new ArrayList<>();
        public final List<JobEvent> events = new ArrayList<>();
        public final List<Rejection> rejected = new ArrayList<>();
        public final List<EndedRun> ended = new ArrayList<>();
        /** Node rows and run outcomes to write, all runs' at once, when the step is done. */
        private final List<WorkflowStore.RunNode> nodeWrites = new ArrayList<>();
        private final List<Ending> endings = new ArrayList<>();
    }

    /** A run whose nodes have all ended, and how it ends. */
    private record Ending(Run run, JobState state, String error) {
    }

    private final WorkflowStore store;
    private final WorkflowVersions definitions = new WorkflowVersions();
    private final Clock clock;
    /** Stored versions never change, so they are read once. */
    private final Map<String, WorkflowDefinition> versions = new ConcurrentHashMap<>();

    /** Where node jobs' own webhooks may point; null: not checked here (deliveries are still checked). */
    private final WebhookAllowList webhooks;

    public WorkflowRuns(WorkflowStore store, Clock clock) {
        this(store, clock, null);
    }

    public WorkflowRuns(WorkflowStore store, Clock clock, WebhookAllowList webhooks) {
        this.store = store;
        this.clock = clock;
        this.webhooks = webhooks;
    }

    /** Creates the runs not created before (same id or key) and starts their first nodes. */
    public void start(Connection conn, List<Requested> requests, JobCheck check, Decisions out) throws SQLException {
        List<WorkflowStore.NewRun> runs = new ArrayList<>();
        Map<UUID, List<String>> nodes = new HashMap<>();
        Map<UUID, WorkflowDefinition> defs = new HashMap<>();
        for (Requested r : answerDuplicates(conn, requests, out)) {
            WorkflowRunRequest req = r.request();
            Optional<WorkflowVersions.Version> stored = req.definition() != null ? Optional.empty() : definitions.version(conn, req.workflow(), req.version());
            if (req.definition() == null && stored.isEmpty()) {
                out.rejected.add(new Rejection(req.runId(), r.source(), req.version() > 0 ? "no version " + req.version() + " of workflow '"
                        + req.workflow() + "'" : "no workflow '" + req.workflow() + "' (define it first: fanout workflow define FILE)", r.text()));
                continue;
            }
            WorkflowDefinition def = req.definition() != null ? req.definition() : stored.get().definition();
            List<String> reasons = new ArrayList<>();
            for (WorkflowNode n : def.nodes()) {
                String reason = check.reasonAgainst(n.processor(), n.job().path("pool").asText(Pools.DEFAULT));
                reason = reason != null ? reason : reasonAgainstLiteralWebhooks(n.job());
                if (reason != null) {
                    reasons.add("node " + n.name() + ": " + reason);
                }
            }
            if (!reasons.isEmpty()) {
                out.rejected.add(new Rejection(req.runId(), r.source(), String.join("; ", reasons), r.text()));
                continue;
            }
            // an inline definition is stored once it is known to run: as a new version only if no version is the same
            int version = req.definition() != null ? definitions.define(conn, def) : stored.get().version();
            versions.putIfAbsent(def.name() + "@" + version, def);
            runs.add(new WorkflowStore.NewRun(req.runId(), req.key(), def.name(), version, r.partition(), Json.toText(req.params())));
            nodes.put(req.runId(), def.nodes().stream().map(WorkflowNode::name).toList());
            defs.put(req.runId(), def);
        }
        Set<UUID> created = store.insertRuns(conn, runs, nodes);
        for (WorkflowStore.NewRun n : runs) {
            if (!created.contains(n.runId())) {
                log.info("run request for {} (key {}) ignored: a run of that id or key exists", n.runId(), n.key());
                continue;
            }
            created.remove(n.runId()); // the same request twice in one batch starts once
            Run run = new Run(n.runId(), n.key(), n.workflow(), n.version(), JobState.RUNNING.name(), n.ownerPartition(), n.params(), null,
                    clock.instant(), null);
            log.info("workflow run {} of {} v{} started: {} nodes", run.runId(), run.workflow(), run.version(), nodes.get(run.runId()).size());
            out.events.add(runEvent(JobEvent.Type.RUN_STARTED, run, JobState.RUNNING, null));
            Map<String, Node> pending = new LinkedHashMap<>();
            nodes.get(run.runId()).forEach(name -> pending.put(name, new Node(name, NodeState.PENDING, 0, null, null, null, null, null)));
            evaluate(run, defs.get(run.runId()), pending, out);
        }
        write(conn, out);
    }

    /**
     * Of these requests, those for runs that do not exist yet (by id or key). A request for a run
     * that exists starts nothing; if that run has ended, its final event is sent again (and owed),
     * so that whoever sent the request and awaits it gets its outcome. A request whose key names a
     * run of another id is answered under its own id with a rejection naming that run.
     */
    private List<Requested> answerDuplicates(Connection conn, List<Requested> requests, Decisions out) throws SQLException {
        List<UUID> ids = requests.stream().map(r -> r.request().runId()).toList();
        List<String> keys = requests.stream().map(r -> r.request().key()).filter(java.util.Objects::nonNull).toList();
        Map<UUID, Run> byId = new HashMap<>();
        Map<String, Run> byKey = new HashMap<>();
        for (Run run : store.existing(conn, ids, keys)) {
            byId.put(run.runId(), run);
            if (run.key() != null) {
                byKey.put(run.key(), run);
            }
        }
        List<Requested> fresh = new ArrayList<>();
        Set<UUID> answered = new java.util.HashSet<>();
        for (Requested r : requests) {
            WorkflowRunRequest req = r.request();
            Run run = byId.containsKey(req.runId()) ? byId.get(req.runId()) : req.key() == null ? null : byKey.get(req.key());
            if (run == null) {
                fresh.add(r);
                continue;
            }
            boolean open = run.state().equals(JobState.RUNNING.name()) || run.state().equals(JobState.SUSPENDED.name());
            log.info("duplicate run request for {} (key {}): the run is {}", run.runId(), run.key(), run.state());
            if (!run.runId().equals(req.runId())) {
                out.rejected.add(new Rejection(req.runId(), r.source(), "key '" + req.key() + "' names workflow run " + run.runId() + " already, which is "
                        + run.state(), r.text()));
            } else if (!open && answered.add(run.runId())) {
                out.events.add(runFinished(run));
                out.ended.add(new EndedRun(run.ownerPartition(), run.runId()));
            }
        }
        return fresh;
    }

    /**
     * Records how the node jobs of these partitions' runs ended, and moves those runs on, with the
     * runs an operator's action woke (resumed, retried, a node marked succeeded).
     */
    public void advance(Connection conn, Collection<Integer> partitions, Decisions out) throws SQLException {
        Set<UUID> runIds = new LinkedHashSet<>(store.runsWithEndedNodes(conn, partitions));
        runIds.addAll(store.takeWoken(conn, partitions));
        advanceRuns(conn, runIds, out);
    }

    /** The runs of these partitions with a running node whose job is one of these, which just ended. */
    public Set<UUID> runsOf(Connection conn, Collection<Integer> partitions, Collection<UUID> endedJobs) throws SQLException {
        return new LinkedHashSet<>(store.runsOfEndedJobs(conn, partitions, endedJobs));
    }

    /** As {@link #advance(Connection, Collection, Decisions)}, for these runs. */
    public void advanceRuns(Connection conn, Set<UUID> runIds, Decisions out) throws SQLException {
        if (runIds.isEmpty()) {
            return;
        }
        Map<UUID, Run> runs = store.lockRuns(conn, runIds);
        for (WorkflowStore.EndedNode e : store.endNodesOfEndedJobs(conn, runIds)) {
            out.events.add(nodeEvent(JobEvent.Type.NODE_FINISHED, runs.get(e.runId()), e.node()));
        }
        Map<UUID, Map<String, Node>> nodes = RunQueries.nodes(conn, runIds);
        for (Run run : runs.values()) {
            if (JobState.valueOf(run.state()) == JobState.RUNNING) {
                evaluate(run, definition(conn, run), nodes.get(run.runId()), out);
            }
        }
        write(conn, out);
    }

    /** The node rows and run outcomes the step decided, in one statement each, then the events of the runs that ended. */
    private void write(Connection conn, Decisions out) throws SQLException {
        store.updateNodes(conn, out.nodeWrites);
        out.nodeWrites.clear();
        Map<UUID, String> states = new LinkedHashMap<>();
        Map<UUID, String> errors = new HashMap<>();
        out.endings.forEach(e -> {
            states.put(e.run().runId(), e.state().name());
            errors.put(e.run().runId(), e.error());
        });
        Set<UUID> ended = store.endRuns(conn, states, errors);
        for (Ending e : out.endings) {
            if (!ended.contains(e.run().runId())) {
                continue;
            }
            Run run = e.run();
            log.info("workflow run {} of {} {}{}", run.runId(), run.workflow(), e.state(), e.error() == null ? "" : ": " + e.error());
            out.events.add(runFinished(new Run(run.runId(), run.key(), run.workflow(), run.version(), e.state().name(), run.ownerPartition(), run.params(),
                    e.error(), run.createdAt(), clock.instant())));
            out.ended.add(new EndedRun(run.ownerPartition(), run.runId()));
        }
        out.endings.clear();
    }

    /**
     * Settles every pending node that can be settled now, in dependency order (a node skipped or
     * failed upstream may settle the ones after it at once), then ends the run if no node is left.
     */
    private void evaluate(Run run, WorkflowDefinition def, Map<String, Node> nodes, Decisions out) {
        Map<String, Node> changed = new LinkedHashMap<>();
        Instant now = clock.instant();
        JsonNode params = Json.readTree(run.params());
        boolean settled = true;
        while (settled) {
            settled = false;
            for (WorkflowNode wn : def.nodes()) {
                Node n = nodes.get(wn.name());
                if (n.state() != NodeState.PENDING) {
                    continue;
                }
                TriggerRule.Verdict verdict = wn.trigger().decide(def.upstream(wn.name()).stream().map(u -> nodes.get(u).state()).toList());
                if (verdict == TriggerRule.Verdict.RUN && !def.inputs(wn.name()).stream().allMatch(i -> nodes.get(i).state().isTerminal())) {
                    verdict = TriggerRule.Verdict.WAIT; // a rule that fires at the first upstream outcome still reads only outcomes
                }
                if (verdict == TriggerRule.Verdict.RUN && wn.when() != null) {
                    Node on = nodes.get(wn.when().node());
                    if (!wn.when().holds(on.state(), result(on))) {
                        verdict = TriggerRule.Verdict.SKIP;
                    }
                }
                Node next = switch (verdict) {
                    case WAIT -> null;
                    case SKIP -> n.ended(NodeState.SKIPPED, null, now);
                    case UPSTREAM_FAILED -> n.ended(NodeState.UPSTREAM_FAILED, null, now);
                    case RUN -> startNode(run, wn, n, nodes, params, now, out);
                };
                if (next == null) {
                    continue;
                }
                nodes.put(next.node(), next);
                changed.put(next.node(), next);
                out.events.add(nodeEvent(next.state() == NodeState.RUNNING ? JobEvent.Type.NODE_STARTED : JobEvent.Type.NODE_FINISHED, run, next));
                settled = true;
            }
        }
        changed.values().forEach(n -> out.nodeWrites.add(new WorkflowStore.RunNode(run.runId(), n)));
        if (nodes.values().stream().allMatch(n -> n.state().isTerminal())) {
            end(run, def, nodes, out);
        }
    }

    /** The node's job, made from its template with the references resolved; a template that does not make a valid job fails the node. */
    private Node startNode(Run run, WorkflowNode wn, Node n, Map<String, Node> nodes, JsonNode params, Instant now, Decisions out) {
        UUID jobId = WorkflowRunRequest.nodeJobId(run.runId(), wn.name(), n.attempt());
        JobRequest request;
        try {
            Map<String, JsonNode> results = new HashMap<>();
            nodes.values().forEach(x -> results.put(x.node(), result(x)));
            ObjectNode job = (ObjectNode) References.resolve(wn.job(), results, params);
            job.put("id", jobId.toString());
            request = JobRequests.parse(Json.toBytes(job));
        } catch (References.UnresolvableReferenceException | InvalidJobRequestException e) {
            log.warn("workflow run {}: node {} cannot start: {}", run.runId(), wn.name(), e.getMessage());
            return n.ended(NodeState.FAILED, "its job could not be made: " + e.getMessage(), now);
        }
        String refused = webhooks == null ? null : webhooks.reasonAgainst(request.alertWebhooks());
        if (refused != null) { // a webhook made of a ${...} reference, resolved only now
            log.warn("workflow run {}: node {} cannot start: {}", run.runId(), wn.name(), refused);
            return n.ended(NodeState.FAILED, "its job could not be made: " + refused, now);
        }
        out.jobs.add(new JobStore.NewJob(request, run.ownerPartition()));
        return n.started(n.attempt(), jobId, now);
    }

    /** Why a node template's webhooks written as URLs are refused (those made of {@code ${...}} references are checked when resolved), or null. */
    private String reasonAgainstLiteralWebhooks(JsonNode job) {
        if (webhooks == null) {
            return null;
        }
        for (JsonNode hook : job.path("alerts").path("webhooks")) {
            if (hook.isTextual() && !hook.asText().contains("${")) {
                try {
                    String why = webhooks.reasonAgainst(Webhooks.check(hook.asText()));
                    if (why != null) {
                        return why;
                    }
                } catch (IllegalArgumentException e) {
                    return "field 'alerts.webhooks': " + e.getMessage();
                }
            }
        }
        return null;
    }

    /**
     * A run whose nodes have all ended succeeds when every leaf (a node nothing runs after)
     * succeeded or was skipped, and fails otherwise, naming the nodes that failed.
     */
    private static void end(Run run, WorkflowDefinition def, Map<String, Node> nodes, Decisions out) {
        List<String> badLeaves = def.leaves().stream()
                .filter(l -> nodes.get(l).state() != NodeState.SUCCEEDED && nodes.get(l).state() != NodeState.SKIPPED).toList();
        String error = null;
        if (!badLeaves.isEmpty()) {
            String failed = nodes.values().stream().filter(n -> n.state() == NodeState.FAILED || n.state() == NodeState.CANCELLED)
                    .map(n -> n.node() + " " + n.state() + (n.error() == null ? "" : " (" + firstLine(n.error()) + ")"))
                    .collect(Collectors.joining("; "));
            error = "leaves not succeeded: " + badLeaves.stream().map(l -> l + " " + nodes.get(l).state()).collect(Collectors.joining(", "))
                    + (failed.isEmpty() ? "" : "; failed: " + failed);
        }
        out.endings.add(new Ending(run, badLeaves.isEmpty() ? JobState.SUCCEEDED : JobState.FAILED, error));
    }

    /** The definition a run started with (stored versions never change, so each is read once). */
    public WorkflowDefinition definition(Connection conn, Run run) throws SQLException {
        String id = run.workflow() + "@" + run.version();
        WorkflowDefinition def = versions.get(id);
        if (def == null) {
            def = definitions.version(conn, run.workflow(), run.version())
                    .orElseThrow(() -> new IllegalStateException("run " + run.runId() + " names " + id + ", which is not stored")).definition();
            versions.put(id, def);
        }
        return def;
    }

    /** The final event of an ended run, as its ending decided it (also what the outbox sends again). */
    public static JobEvent runFinished(Run run) {
        return runEvent(JobEvent.Type.RUN_FINISHED, run, JobState.valueOf(run.state()), run.error());
    }

    public static JobEvent runEvent(JobEvent.Type type, Run run, JobState state, String error) {
        return new JobEvent(type, run.runId(), run.key(), null, state, null, null, error, null, null, Instant.now().toString(),
                new JobEvent.Workflow(run.workflow(), run.version(), null, null, null));
    }

    public static JobEvent nodeEvent(JobEvent.Type type, Run run, Node n) {
        return new JobEvent(type, run.runId(), run.key(), null, null, null, result(n), n.error(), null, null, Instant.now().toString(),
                new JobEvent.Workflow(run.workflow(), run.version(), n.node(), n.state().name(), n.jobId()));
    }

    private static JsonNode result(Node n) {
        return n.resultJson() == null ? null : Json.readTree(n.resultJson());
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
