package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated workflow: named nodes and the edges between them, acyclic (see
 * {@link WorkflowDefinitions#parse} for what is checked). Nodes keep the order they were defined in.
 */
public final class WorkflowDefinition {

    /** An edge: {@code to} runs after {@code from}. */
    public record Edge(String from, String to) {
    }

    private final String name;
    private final Map<String, WorkflowNode> nodes = new LinkedHashMap<>();
    private final List<Edge> edges;
    private final Map<String, List<String>> upstream = new LinkedHashMap<>();
    private final Map<String, List<String>> downstream = new LinkedHashMap<>();
    private final Map<String, Set<String>> inputs = new java.util.concurrent.ConcurrentHashMap<>();

    WorkflowDefinition(String name, List<WorkflowNode> nodes, List<Edge> edges) {
        this.name = name;
        this.edges = List.copyOf(edges);
        for (WorkflowNode n : nodes) {
            this.nodes.put(n.name(), n);
            upstream.put(n.name(), new ArrayList<>());
            downstream.put(n.name(), new ArrayList<>());
        }
        for (Edge e : edges) {
            upstream.get(e.to()).add(e.from());
            downstream.get(e.from()).add(e.to());
        }
    }

    public String name() {
        return name;
    }

    public List<WorkflowNode> nodes() {
        return List.copyOf(nodes.values());
    }

    public WorkflowNode node(String name) {
        return nodes.get(name);
    }

    public List<Edge> edges() {
        return edges;
    }

    /** The nodes {@code node} runs after. */
    public List<String> upstream(String node) {
        return upstream.get(node);
    }

    /** The nodes that run after {@code node}. */
    public List<String> downstream(String node) {
        return downstream.get(node);
    }

    /** Every node that runs after any of {@code nodes}, directly or not (not {@code nodes} themselves, unless one runs after another). */
    public Set<String> downstreamOf(Collection<String> nodes) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        nodes.forEach(n -> todo.addAll(downstream(n)));
        while (!todo.isEmpty()) {
            String n = todo.pop();
            if (seen.add(n)) {
                todo.addAll(downstream(n));
            }
        }
        return seen;
    }

    /**
     * The nodes whose outcome {@code node} reads when it starts: those its job references and the
     * one its condition names. It starts only once they have all ended, whatever its trigger rule.
     */
    public Set<String> inputs(String node) {
        return inputs.computeIfAbsent(node, this::readInputs);
    }

    private Set<String> readInputs(String node) {
        WorkflowNode n = nodes.get(node);
        Set<String> read = new LinkedHashSet<>();
        try {
            References.find(n.job()).stream().map(References.Reference::node).filter(java.util.Objects::nonNull).forEach(read::add);
        } catch (References.UnresolvableReferenceException e) {
            throw new IllegalStateException("node " + node + " of a checked definition has a malformed reference", e);
        }
        if (n.when() != null) {
            read.add(n.when().node());
        }
        return read;
    }

    /** Nodes nothing runs after: a run's outcome is theirs. */
    public List<String> leaves() {
        return nodes.keySet().stream().filter(n -> downstream.get(n).isEmpty()).toList();
    }

    /** The definition in its JSON form (what is stored, and compared to tell versions apart). */
    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("name", name);
        ArrayNode nodeArray = root.putArray("nodes");
        for (WorkflowNode n : nodes.values()) {
            ObjectNode o = nodeArray.addObject();
            o.put("name", n.name());
            o.set("job", n.job());
            if (n.trigger() != TriggerRule.ALL_SUCCESS) {
                o.put("trigger", n.trigger().jsonName());
            }
            if (n.when() != null) {
                o.set("when", n.when().toJson());
            }
        }
        ArrayNode edgeArray = root.putArray("edges");
        edges.forEach(e -> edgeArray.addArray().add(e.from()).add(e.to()));
        return root;
    }
}
