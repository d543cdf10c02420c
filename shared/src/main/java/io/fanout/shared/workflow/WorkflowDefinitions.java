package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequests;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads workflow definitions and rejects, before anything runs, every one that could not run as
 * written: duplicate or malformed names, edges to unknown nodes, cycles, references to nodes that
 * are not upstream, conditions on nodes that are not direct upstream ones, nodes that can never run
 * (a rule or condition that contradicts itself), and jobs that are not valid job requests. All
 * reasons found are reported at once.
 */
public final class WorkflowDefinitions {

    public static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");
    public static final int MAX_NODES = 1_000;
    private static final Set<String> FIELDS = Set.of("name", "nodes", "edges");
    private static final Set<String> NODE_FIELDS = Set.of("name", "job", "trigger", "when");
    private static final Set<String> WHEN_FIELDS = Set.of("node", "resultEquals", "failed");

    private WorkflowDefinitions() {
    }

    public static WorkflowDefinition parse(byte[] json) throws InvalidWorkflowException {
        JsonNode root;
        try {
            root = Json.readTree(json);
        } catch (IOException e) {
            throw new InvalidWorkflowException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        return parse(root);
    }

    public static WorkflowDefinition parse(JsonNode root) throws InvalidWorkflowException {
        if (root == null || !root.isObject()) {
            throw new InvalidWorkflowException("a workflow definition is a JSON object");
        }
        List<String> reasons = new ArrayList<>();
        root.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                reasons.add("unknown field '" + f + "' (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
            }
        });
        String name = root.path("name").asText("");
        if (!JobRequests.NAME.matcher(name).matches()) {
            reasons.add("field 'name' must be 1-200 letters, digits or . _ : -, got '" + name + "'");
        }
        JsonNode nodeArray = root.path("nodes");
        if (!nodeArray.isArray() || nodeArray.isEmpty()) {
            reasons.add("field 'nodes' must be a non-empty array of nodes");
            throw new InvalidWorkflowException(reasons);
        }
        if (nodeArray.size() > MAX_NODES) {
            throw new InvalidWorkflowException("a workflow has at most " + MAX_NODES + " nodes, this one " + nodeArray.size());
        }
        Map<String, WorkflowNode> nodes = new LinkedHashMap<>();
        for (int i = 0; i < nodeArray.size(); i++) {
            WorkflowNode n = node(nodeArray.get(i), i, reasons);
            if (n != null && nodes.putIfAbsent(n.name(), n) != null) {
                reasons.add("node name '" + n.name() + "' is used twice");
            }
        }
        List<WorkflowDefinition.Edge> edges = edges(root.path("edges"), nodes.keySet(), reasons);
        if (!reasons.isEmpty()) {
            throw new InvalidWorkflowException(reasons);
        }
        WorkflowDefinition def = new WorkflowDefinition(name, List.copyOf(nodes.values()), edges);
        List<String> cycle = cycle(def);
        if (!cycle.isEmpty()) {
            throw new InvalidWorkflowException("the edges form a cycle: " + String.join(" -> ", cycle));
        }
        for (WorkflowNode n : def.nodes()) {
            checkReferences(def, n, reasons);
            checkCanRun(def, n, reasons);
        }
        if (!reasons.isEmpty()) {
            throw new InvalidWorkflowException(reasons);
        }
        return def;
    }

    private static WorkflowNode node(JsonNode o, int index, List<String> reasons) {
        String at = "nodes[" + index + "]";
        if (!o.isObject()) {
            reasons.add(at + " must be an object");
            return null;
        }
        o.fieldNames().forEachRemaining(f -> {
            if (!NODE_FIELDS.contains(f)) {
                reasons.add(at + ": unknown field '" + f + "' (known: " + String.join(", ", new TreeSet<>(NODE_FIELDS)) + ")");
            }
        });
        String name = o.path("name").asText("");
        if (!NODE_NAME.matcher(name).matches()) {
            reasons.add(at + ": field 'name' must be 1-100 letters, digits, _ or -, got '" + name + "'");
            return null;
        }
        String where = "node " + name;
        JsonNode job = o.get("job");
        if (job == null || !job.isObject()) {
            reasons.add(where + ": field 'job' must be a job request object");
            return null;
        }
        if (job.has("id") || job.has("key")) {
            reasons.add(where + ": a node's job has no 'id' or 'key' (each run gives its node jobs their own ids)");
        }
        if (!job.path("processor").isTextual() || job.path("processor").asText().contains("${") || job.has("pool") && job.path("pool").asText().contains("${")) {
            reasons.add(where + ": the job's 'processor' (and 'pool') must be written out, not referenced");
        }
        TriggerRule trigger = TriggerRule.ALL_SUCCESS;
        if (o.has("trigger")) {
            try {
                trigger = TriggerRule.of(o.get("trigger").asText());
            } catch (IllegalArgumentException e) {
                reasons.add(where + ": " + e.getMessage());
            }
        }
        return new WorkflowNode(name, (ObjectNode) job, trigger, condition(o.get("when"), where, reasons));
    }

    private static Condition condition(JsonNode w, String where, List<String> reasons) {
        if (w == null || w.isNull()) {
            return null;
        }
        List<String> unknown = new ArrayList<>();
        w.fieldNames().forEachRemaining(f -> {
            if (!WHEN_FIELDS.contains(f)) {
                unknown.add(f);
            }
        });
        boolean failed = w.path("failed").asBoolean(false);
        boolean equals = w.has("resultEquals");
        if (!w.isObject() || !unknown.isEmpty() || !w.path("node").isTextual() || failed == equals || w.has("failed") && !failed) {
            reasons.add(where + ": field 'when' is {\"node\": NAME, \"resultEquals\": VALUE} or {\"node\": NAME, \"failed\": true}");
            return null;
        }
        return new Condition(w.get("node").asText(), equals ? w.get("resultEquals") : null, failed);
    }

    private static List<WorkflowDefinition.Edge> edges(JsonNode array, Set<String> names, List<String> reasons) {
        List<WorkflowDefinition.Edge> edges = new ArrayList<>();
        if (array.isMissingNode() || array.isNull()) {
            return edges;
        }
        if (!array.isArray()) {
            reasons.add("field 'edges' must be an array of [from, to] pairs");
            return edges;
        }
        Set<WorkflowDefinition.Edge> seen = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode e = array.get(i);
            if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isTextual()) {
                reasons.add("edges[" + i + "] must be a [from, to] pair of node names");
                continue;
            }
            WorkflowDefinition.Edge edge = new WorkflowDefinition.Edge(e.get(0).asText(), e.get(1).asText());
            for (String end : List.of(edge.from(), edge.to())) {
                if (!names.contains(end)) {
                    reasons.add("edges[" + i + "] " + edge.from() + " -> " + edge.to() + ": unknown node '" + end + "'");
                }
            }
            if (edge.from().equals(edge.to())) {
                reasons.add("edges[" + i + "]: node '" + edge.from() + "' cannot run after itself");
            } else if (!seen.add(edge)) {
                reasons.add("edges[" + i + "] " + edge.from() + " -> " + edge.to() + " is given twice");
            }
            edges.add(edge);
        }
        return edges;
    }

    /** One cycle of the graph as a path that starts and ends at the same node, or empty if there is none. */
    private static List<String> cycle(WorkflowDefinition def) {
        Map<String, Integer> mark = new HashMap<>(); // 1 on the path, 2 done
        for (WorkflowNode start : def.nodes()) {
            Deque<String> path = new ArrayDeque<>();
            List<String> found = visit(def, start.name(), mark, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private static List<String> visit(WorkflowDefinition def, String node, Map<String, Integer> mark, Deque<String> path) {
        Integer m = mark.get(node);
        if (m != null && m == 2) {
            return List.of();
        }
        if (m != null) {
            List<String> onPath = new ArrayList<>(path);
            List<String> cycle = new ArrayList<>(onPath.subList(onPath.indexOf(node), onPath.size()));
            cycle.add(node);
            return cycle;
        }
        mark.put(node, 1);
        path.addLast(node);
        for (String next : def.downstream(node)) {
            List<String> found = visit(def, next, mark, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        path.removeLast();
        mark.put(node, 2);
        return List.of();
    }

    /** Every node a result reference names must run before this one; a job without references must be a valid request as it stands. */
    private static void checkReferences(WorkflowDefinition def, WorkflowNode n, List<String> reasons) {
        List<References.Reference> refs;
        try {
            refs = References.find(n.job());
        } catch (References.UnresolvableReferenceException e) {
            reasons.add("node " + n.name() + ": " + e.getMessage());
            return;
        }
        Set<String> ancestors = ancestors(def, n.name());
        for (References.Reference r : refs) {
            if (r.node() != null && !ancestors.contains(r.node())) {
                reasons.add("node " + n.name() + ": " + r.text() + " names " + (def.node(r.node()) == null ? "an unknown node" : "a node that does not run before it"));
            }
        }
        if (refs.isEmpty()) {
            ObjectNode request = n.job().deepCopy();
            request.put("id", UUID.randomUUID().toString());
            try {
                JobRequests.parse(Json.toBytes(request));
            } catch (InvalidJobRequestException e) {
                reasons.add("node " + n.name() + ": invalid job: " + e.getMessage());
            }
        }
    }

    /** Rejects nodes whose rule and condition can never both hold. */
    private static void checkCanRun(WorkflowDefinition def, WorkflowNode n, List<String> reasons) {
        List<String> upstream = def.upstream(n.name());
        if (upstream.isEmpty() && n.trigger() == TriggerRule.ONE_FAILED) {
            reasons.add("node " + n.name() + " can never run: trigger one_failed needs an upstream node, it has none");
        }
        Condition when = n.when();
        if (when == null) {
            return;
        }
        if (!upstream.contains(when.node())) {
            reasons.add("node " + n.name() + ": its condition names '" + when.node() + "', which is not one of its upstream nodes " + upstream);
            return;
        }
        boolean onlyUpstream = upstream.size() == 1;
        boolean contradicts = when.failed()
                ? n.trigger() == TriggerRule.ALL_SUCCESS || n.trigger() == TriggerRule.NONE_FAILED || n.trigger() == TriggerRule.ONE_SUCCESS && onlyUpstream
                : n.trigger() == TriggerRule.ONE_FAILED && onlyUpstream;
        if (contradicts) {
            reasons.add("node " + n.name() + " can never run: it runs only when " + when.describe() + ", which trigger " + n.trigger().jsonName() + " rules out");
        }
    }

    private static Set<String> ancestors(WorkflowDefinition def, String node) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(def.upstream(node));
        while (!todo.isEmpty()) {
            String n = todo.pop();
            if (seen.add(n)) {
                todo.addAll(def.upstream(n));
            }
        }
        return seen;
    }
}
