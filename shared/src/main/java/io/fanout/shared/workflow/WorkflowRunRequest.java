package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A request to run a workflow, as it travels on the jobs topic (JSON): {@code {"workflow": NAME}}
 * runs the latest stored version of a definition ({@code "version"} picks another), and
 * {@code {"workflow": {definition}}} stores the definition as a new version if it differs from the
 * latest and runs it. Like a job request, the same {@code id} or {@code key} twice is one run.
 *
 * @param definition the definition given inline, or null when the request names a stored one
 * @param version the stored version asked for, 0 for the latest
 * @param params the run's parameters, referenced by nodes as {@code ${params.NAME}}
 */
public record WorkflowRunRequest(UUID runId, String key, String workflow, int version, WorkflowDefinition definition, ObjectNode params) {

    private static final Set<String> FIELDS = Set.of("workflow", "version", "id", "key", "params");

    /** Whether a record of the jobs topic is a run request rather than a job request. */
    public static boolean isRunRequest(JsonNode root) {
        return root != null && root.isObject() && root.has("workflow");
    }

    public static WorkflowRunRequest parse(JsonNode root) throws InvalidWorkflowException {
        for (String f : (Iterable<String>) root::fieldNames) {
            if (!FIELDS.contains(f)) {
                throw new InvalidWorkflowException("unknown field '" + f + "' of a run request (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
            }
        }
        JsonNode w = root.get("workflow");
        WorkflowDefinition inline = w.isObject() ? WorkflowDefinitions.parse(w) : null;
        if (inline == null && !w.isTextual()) {
            throw new InvalidWorkflowException("field 'workflow' is a stored workflow's name or a definition object");
        }
        String key = root.hasNonNull("key") ? root.get("key").asText() : null;
        if (key != null && (key.isEmpty() || key.length() > 200)) {
            throw new InvalidWorkflowException("field 'key' must be 1-200 characters");
        }
        JsonNode version = root.path("version");
        if (!version.isMissingNode() && (!version.canConvertToInt() || version.asInt() < 1 || inline != null)) {
            throw new InvalidWorkflowException("field 'version' is a stored version (1 or more) of a workflow named by 'workflow'");
        }
        JsonNode params = root.path("params");
        if (!params.isMissingNode() && !params.isNull() && !params.isObject()) {
            throw new InvalidWorkflowException("field 'params' must be an object");
        }
        UUID id;
        try {
            id = root.hasNonNull("id") ? UUID.fromString(root.get("id").asText()) : key != null ? runIdForKey(key) : UUID.randomUUID();
        } catch (IllegalArgumentException e) {
            throw new InvalidWorkflowException("field 'id' must be a UUID, got '" + root.get("id").asText() + "'");
        }
        return new WorkflowRunRequest(id, key, inline != null ? inline.name() : w.asText(), version.asInt(0), inline,
                params.isObject() ? (ObjectNode) params : JsonNodeFactory.instance.objectNode());
    }

    public byte[] toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("id", runId.toString());
        if (key != null) {
            root.put("key", key);
        }
        if (definition != null) {
            root.set("workflow", definition.toJson());
        } else {
            root.put("workflow", workflow);
        }
        if (version > 0) {
            root.put("version", version);
        }
        root.set("params", params);
        return Json.toBytes(root);
    }

    /** The run id a client key stands for: the same key twice names one run. */
    public static UUID runIdForKey(String key) {
        return UUID.nameUUIDFromBytes(("fanout-workflow-run:" + key).getBytes(StandardCharsets.UTF_8));
    }

    /** The job of a node's attempt: a crash or a takeover that starts the node again names the same job, which exists once. */
    public static UUID nodeJobId(UUID runId, String node, int attempt) {
        byte[] name = node.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(16 + 4 + name.length);
        b.putLong(runId.getMostSignificantBits()).putLong(runId.getLeastSignificantBits()).putInt(attempt).put(name);
        return UUID.nameUUIDFromBytes(b.array());
    }
}
