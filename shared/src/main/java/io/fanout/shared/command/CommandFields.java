package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.shared.command.Command.InvalidCommandException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/** Reading a command's JSON fields, each with a reason that names the field when it is wrong. */
final class CommandFields {

    private CommandFields() {
    }

    static void onlyKnown(JsonNode root, Set<String> known) throws InvalidCommandException {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new InvalidCommandException("unknown field '" + name + "' in a command (known: " + String.join(", ", new TreeSet<>(known)) + ")");
            }
        }
    }

    static String text(JsonNode root, String field) throws InvalidCommandException {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new InvalidCommandException("field '" + field + "' is required, a string");
        }
        return v.asText();
    }

    /** An optional string field, or null. */
    static String optionalText(JsonNode root, String field) throws InvalidCommandException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidCommandException("field '" + field + "' must be a string");
        }
        return v.asText();
    }

    static UUID uuid(JsonNode root, String field) throws InvalidCommandException {
        String s = text(root, field);
        try {
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            throw new InvalidCommandException("field '" + field + "' must be a UUID, got '" + (s.length() > 60 ? s.substring(0, 60) + "…" : s) + "'");
        }
    }

    /** The kind whose wire name is {@code name}: a command's names are its kinds in lower case, with dashes. */
    static <K extends Enum<K>> K kind(K[] kinds, String name, String what) throws InvalidCommandException {
        for (K k : kinds) {
            if (wire(k).equals(name)) {
                return k;
            }
        }
        throw new InvalidCommandException("unknown command '" + name + "' for " + what + " (known: "
                + String.join(", ", Arrays.stream(kinds).map(CommandFields::wire).toList()) + ")");
    }

    static String wire(Enum<?> kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static String actor(String actor) {
        return actor == null || actor.isBlank() ? "unknown" : actor.length() > Command.MAX_ACTOR ? actor.substring(0, Command.MAX_ACTOR) : actor;
    }
}
