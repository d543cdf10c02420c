package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A command for dead letters of one job, keyed by the job id like the job's request:
 *
 * <pre>{"command": "replay", "id": "…", "job": "3f2a…", "letters": [12, 13], "actor": "alice", "dryRun": false}</pre>
 *
 * {@code command} is {@code replay} (a task letter's task gets a new attempt, its job reopening if
 * it had ended; an unreadable record's bytes go back where they came from) or {@code park} (the
 * letter goes to the parking topic and the sweeper leaves it alone). Letters of unreadable records
 * have no job: omit {@code job}. At most {@value #MAX_LETTERS} letters. The owner of the letters
 * answers REPLAYED or PARKED when it did it to at least one, else REFUSED; the event's
 * {@code result} lists what happened to each letter ({@code [{"letterId": 12, "done": true, "outcome": "…"}]}); a dry
 * run's answer names no job, so the job's followers do not see it.
 */
public record LetterCommand(UUID id, Kind kind, UUID jobId, List<Long> letters, boolean dryRun, String actor) implements Command {

    /** The most letters one command names. */
    public static final int MAX_LETTERS = 500;
    /** The key of a command for letters with no job (unreadable records): their owner is found from the letters. */
    public static final UUID NO_JOB = new UUID(0, 0);

    private static final Set<String> FIELDS = Set.of("command", "id", "job", "letters", "actor", "dryRun");

    public enum Kind {
        REPLAY,
        PARK;

        public String wire() {
            return CommandFields.wire(this);
        }

        static Kind ofWire(String name) throws InvalidCommandException {
            return CommandFields.kind(values(), name, "dead letters");
        }
    }

    public LetterCommand {
        if (id == null || kind == null || letters == null || letters.isEmpty() || letters.size() > MAX_LETTERS) {
            throw new IllegalArgumentException("a dead-letter command needs an id, a kind and 1 to " + MAX_LETTERS + " letters");
        }
        if (kind == Kind.PARK && dryRun) {
            throw new IllegalArgumentException("a park has no dry run");
        }
        letters = List.copyOf(new LinkedHashSet<>(letters));
        actor = CommandFields.actor(actor);
    }

    public static LetterCommand replay(UUID jobId, List<Long> letters, boolean dryRun, String actor) {
        return new LetterCommand(UUID.randomUUID(), Kind.REPLAY, jobId, letters, dryRun, actor);
    }

    public static LetterCommand park(UUID jobId, List<Long> letters, String actor) {
        return new LetterCommand(UUID.randomUUID(), Kind.PARK, jobId, letters, false, actor);
    }

    @Override
    public UUID target() {
        return jobId == null ? NO_JOB : jobId;
    }

    @Override
    public String verb() {
        return kind.wire();
    }

    @Override
    public String describe() {
        return (dryRun ? "dry run of the " : "") + kind.wire() + " of " + (letters.size() == 1 ? "dead letter " + letters.getFirst()
                : letters.size() + " dead letters") + (jobId == null ? "" : " of job " + jobId);
    }

    static LetterCommand parse(JsonNode root) throws InvalidCommandException {
        CommandFields.onlyKnown(root, FIELDS);
        Kind kind = Kind.ofWire(CommandFields.text(root, "command"));
        UUID job = root.hasNonNull("job") ? CommandFields.uuid(root, "job") : null;
        JsonNode ids = root.get("letters");
        if (ids == null || !ids.isArray() || ids.isEmpty() || ids.size() > MAX_LETTERS) {
            throw new InvalidCommandException("field 'letters' is required, an array of 1 to " + MAX_LETTERS + " dead-letter ids");
        }
        List<Long> letters = new ArrayList<>(ids.size());
        for (JsonNode n : ids) {
            if (!n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() <= 0) {
                throw new InvalidCommandException("field 'letters' holds dead-letter ids (positive integers), got " + n);
            }
            letters.add(n.asLong());
        }
        JsonNode dry = root.get("dryRun");
        if (dry != null && !dry.isBoolean() && !dry.isNull()) {
            throw new InvalidCommandException("field 'dryRun' must be true or false");
        }
        boolean dryRun = dry != null && dry.asBoolean();
        if (kind == Kind.PARK && dryRun) {
            throw new InvalidCommandException("a park has no dry run");
        }
        return new LetterCommand(CommandFields.uuid(root, "id"), kind, job, letters, dryRun, CommandFields.optionalText(root, "actor"));
    }

    @Override
    public byte[] toJson() {
        ObjectNode node = Json.mapper().createObjectNode();
        node.put("command", kind.wire());
        node.put("id", id.toString());
        if (jobId != null) {
            node.put("job", jobId.toString());
        }
        ArrayNode ids = node.putArray("letters");
        letters.forEach(ids::add);
        node.put("actor", actor);
        if (dryRun) {
            node.put("dryRun", true);
        }
        return Json.toBytes(node);
    }
}
