package io.fanout.shared.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.fanout.shared.json.Json;
import java.util.ArrayList;
import java.util.List;

/** What a dead-letter command did to one letter: done, or not and why (in a dry run, what it would have done). */
public record LetterResult(long letterId, boolean done, String outcome) {

    private static final String WOULD_BE = "would be ";
    private static final String PENDING = "pending: ";

    /** The outcome of a letter a dry run would have replayed. */
    public static LetterResult wouldBe(long letterId, String outcome) {
        return new LetterResult(letterId, false, WOULD_BE + outcome);
    }

    /** A letter whose command was not answered in time: its owner may still carry it out. */
    public static LetterResult pending(long letterId, String why) {
        return new LetterResult(letterId, false, PENDING + why);
    }

    /** Whether its command was not answered in time (not a bean property: the API's JSON stays letterId, done, outcome). */
    public boolean awaitsAnswer() {
        return outcome.startsWith(PENDING);
    }

    /** In a dry run: the letter would have been replayed. */
    public boolean wouldReplay() {
        return outcome.startsWith(WOULD_BE);
    }

    /** The results as an answer event's {@code result}. */
    public static JsonNode toJson(List<LetterResult> results) {
        ArrayNode array = Json.mapper().createArrayNode();
        for (LetterResult r : results) {
            array.addObject().put("letterId", r.letterId()).put("done", r.done()).put("outcome", r.outcome());
        }
        return array;
    }

    /** The results an answer event's {@code result} lists (none when it lists none). */
    public static List<LetterResult> fromJson(JsonNode array) {
        List<LetterResult> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            for (JsonNode n : array) {
                out.add(new LetterResult(n.path("letterId").asLong(), n.path("done").asBoolean(), n.path("outcome").asText()));
            }
        }
        return out;
    }
}
