package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import java.util.Set;
import java.util.UUID;

/**
 * A command for a workflow run, keyed by the run id like the run's request:
 *
 * <pre>{"command": "retry", "id": "…", "run": "…", "actor": "alice", "node": "load"}</pre>
 *
 * {@code command} is {@code cancel}, {@code suspend}, {@code resume}, {@code retry} (with
 * {@code node}: run that node and every node after it again) or {@code mark-succeeded} (with
 * {@code node}, and {@code result}: any JSON, what downstream references see). The run's owner
 * answers RUN_FINISHED (cancel), SUSPENDED, RESUMED (resume and retry) or NODE_FINISHED
 * (mark-succeeded) when done, REFUSED with the reason when not.
 */
public record RunCommand(UUID id, Kind kind, UUID runId, String actor, String node, JsonNode result) implements Command {

    private static final Set<String> FIELDS = Set.of("command", "id", "run", "actor", "node", "result");

    public enum Kind {
        CANCEL,
        SUSPEND,
        RESUME,
        RETRY,
        MARK_SUCCEEDED;

        /** The name on the wire: lower case, with a dash. */
        public String wire() {
            return CommandFields.wire(this);
        }

        static Kind ofWire(String name) throws InvalidCommandException {
            return CommandFields.kind(values(), name, "a workflow run");
        }
    }

    public RunCommand {
        if (id == null || kind == null || runId == null) {
            throw new IllegalArgumentException("a command needs an id, a kind and a run");
        }
        if (kind == Kind.MARK_SUCCEEDED && (node == null || node.isBlank())) {
            throw new IllegalArgumentException("mark-succeeded names the node");
        }
        actor = CommandFields.actor(actor);
    }

    public static RunCommand of(Kind kind, UUID runId, String actor) {
        return new RunCommand(UUID.randomUUID(), kind, runId, actor, null, null);
    }

    /** Runs the run again from where it failed, or, with {@code from}, from that node on. */
    public static RunCommand retry(UUID runId, String from, String actor) {
        return new RunCommand(UUID.randomUUID(), Kind.RETRY, runId, actor, from, null);
    }

    public static RunCommand markSucceeded(UUID runId, String node, JsonNode result, String actor) {
        return new RunCommand(UUID.randomUUID(), Kind.MARK_SUCCEEDED, runId, actor, node, result);
    }

    @Override
    public UUID target() {
        return runId;
    }

    @Override
    public String verb() {
        return kind.wire();
    }

    @Override
    public String describe() {
        return kind.wire() + " of workflow run " + runId;
    }

    static RunCommand parse(JsonNode root) throws InvalidCommandException {
        CommandFields.onlyKnown(root, FIELDS);
        Kind kind = Kind.ofWire(CommandFields.text(root, "command"));
        String node = kind == Kind.MARK_SUCCEEDED ? CommandFields.text(root, "node") : CommandFields.optionalText(root, "node");
        JsonNode result = root.get("result");
        if (result != null && kind != Kind.MARK_SUCCEEDED) {
            throw new InvalidCommandException("field 'result' goes with mark-succeeded");
        }
        if (node != null && kind != Kind.RETRY && kind != Kind.MARK_SUCCEEDED) {
            throw new InvalidCommandException("field 'node' goes with retry and mark-succeeded");
        }
        return new RunCommand(CommandFields.uuid(root, "id"), kind, CommandFields.uuid(root, "run"), CommandFields.optionalText(root, "actor"), node,
                result == null || result.isNull() ? null : result);
    }

    @Override
    public byte[] toJson() {
        ObjectNode json = Json.mapper().createObjectNode();
        json.put("command", kind.wire());
        json.put("id", id.toString());
        json.put("run", runId.toString());
        json.put("actor", actor);
        if (node != null) {
            json.put("node", node);
        }
        if (result != null) {
            json.set("result", result);
        }
        return Json.toBytes(json);
    }
}
