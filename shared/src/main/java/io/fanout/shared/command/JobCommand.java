package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import java.util.Set;
import java.util.UUID;

/**
 * A command for a job, keyed by the job id like the job's request:
 *
 * <pre>{"command": "cancel", "id": "7c0b…", "job": "3f2a…", "actor": "alice"}</pre>
 *
 * {@code command} is {@code cancel}, {@code suspend} or {@code resume}. The job's owner answers
 * CANCELLED, SUSPENDED or RESUMED when done, REFUSED (with the reason) when the job's state does
 * not allow it or there is no such job (then with no state).
 */
public record JobCommand(UUID id, Kind kind, UUID jobId, String actor) implements Command {

    private static final Set<String> FIELDS = Set.of("command", "id", "job", "actor");

    public enum Kind {
        CANCEL,
        SUSPEND,
        RESUME;

        /** The name on the wire: lower case. */
        public String wire() {
            return CommandFields.wire(this);
        }

        static Kind ofWire(String name) throws InvalidCommandException {
            return CommandFields.kind(values(), name, "a job");
        }
    }

    public JobCommand {
        if (id == null || kind == null || jobId == null) {
            throw new IllegalArgumentException("a command needs an id, a kind and a job");
        }
        actor = CommandFields.actor(actor);
    }

    /** A new command with a fresh id. */
    public static JobCommand of(Kind kind, UUID jobId, String actor) {
        return new JobCommand(UUID.randomUUID(), kind, jobId, actor);
    }

    @Override
    public UUID target() {
        return jobId;
    }

    @Override
    public String verb() {
        return kind.wire();
    }

    @Override
    public String describe() {
        return kind.wire() + " of job " + jobId;
    }

    static JobCommand parse(JsonNode root) throws InvalidCommandException {
        CommandFields.onlyKnown(root, FIELDS);
        Kind kind = Kind.ofWire(CommandFields.text(root, "command"));
        return new JobCommand(CommandFields.uuid(root, "id"), kind, CommandFields.uuid(root, "job"), CommandFields.optionalText(root, "actor"));
    }

    @Override
    public byte[] toJson() {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("command", kind.wire());
        node.put("id", id.toString());
        node.put("job", jobId.toString());
        node.put("actor", actor);
        return Json.toBytes(node);
    }
}
