package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import java.util.UUID;

/** Builds workflow definitions and run requests in Java; what it builds is checked as the JSON form is. */
public final class Workflows {

    private Workflows() {
    }

    public static Builder define(String name) {
        return new Builder(name);
    }

    /** A run of the latest stored version of {@code workflow}. */
    public static WorkflowRunRequest run(String workflow, Object params) {
        return new WorkflowRunRequest(UUID.randomUUID(), null, workflow, 0, null, params(params));
    }

    /** A run of this definition (stored as a new version if it differs from the latest). */
    public static WorkflowRunRequest run(WorkflowDefinition definition, Object params) {
        return new WorkflowRunRequest(UUID.randomUUID(), null, definition.name(), 0, definition, params(params));
    }

    /** The same run request under a client key: submitting it twice is one run. */
    public static WorkflowRunRequest withKey(WorkflowRunRequest r, String key) {
        return new WorkflowRunRequest(WorkflowRunRequest.runIdForKey(key), key, r.workflow(), r.version(), r.definition(), r.params());
    }

    private static ObjectNode params(Object params) {
        if (params == null) {
            return JsonNodeFactory.instance.objectNode();
        }
        JsonNode node = Json.mapper().valueToTree(params);
        if (!node.isObject()) {
            throw new IllegalArgumentException("run parameters are an object (a map or a record), got " + node.getNodeType());
        }
        return (ObjectNode) node;
    }

    public static final class Builder {
        private final ObjectNode root = JsonNodeFactory.instance.objectNode();
        private final ArrayNode nodes;
        private final ArrayNode edges;

        private Builder(String name) {
            root.put("name", name);
            nodes = root.putArray("nodes");
            edges = root.putArray("edges");
        }

        /** A node running {@code job} (its id and key are dropped: each run names its node jobs) after {@code upstream}. */
        public Builder node(String name, JobRequest job, String... upstream) {
            return node(name, job, TriggerRule.ALL_SUCCESS, null, upstream);
        }

        /** A node with a trigger rule and, if {@code when} is not null, a condition. */
        public Builder node(String name, JobRequest job, TriggerRule trigger, Condition when, String... upstream) {
            ObjectNode n = nodes.addObject();
            n.put("name", name);
            ObjectNode request = (ObjectNode) Json.readTree(new String(JobRequests.toJson(job), java.nio.charset.StandardCharsets.UTF_8));
            request.remove("id");
            request.remove("key");
            n.set("job", request);
            if (trigger != TriggerRule.ALL_SUCCESS) {
                n.put("trigger", trigger.jsonName());
            }
            if (when != null) {
                n.set("when", when.toJson());
            }
            for (String u : upstream) {
                edges.addArray().add(u).add(name);
            }
            return this;
        }

        /** Checks the definition as {@link WorkflowDefinitions#parse} does; throws {@link IllegalArgumentException} with every reason. */
        public WorkflowDefinition build() {
            try {
                return WorkflowDefinitions.parse(root);
            } catch (InvalidWorkflowException e) {
                throw new IllegalArgumentException("invalid workflow: " + e.getMessage(), e);
            }
        }
    }
}
