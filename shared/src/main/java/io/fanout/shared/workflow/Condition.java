package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;

/**
 * A branch without code: the node runs only if an upstream node's result equals a value
 * ({@code resultEquals}), or only if that node failed ({@code failed}). Nothing is evaluated but
 * this comparison.
 *
 * @param node a direct upstream node
 * @param resultEquals the value its result must equal, or null when {@code failed} is the test
 */
public record Condition(String node, JsonNode resultEquals, boolean failed) {

    /** Runs only if {@code node} succeeded with a result equal to {@code value} (as JSON). */
    public static Condition resultEquals(String node, Object value) {
        return new Condition(node, Json.mapper().valueToTree(value), false);
    }

    /** Runs only if {@code node} failed (or was cancelled, or its own upstream failed). */
    public static Condition failed(String node) {
        return new Condition(node, null, true);
    }

    /** Whether the condition holds, given how {@code node} ended and its result (null if none). */
    public boolean holds(NodeState state, JsonNode result) {
        return failed ? state.isFailure() : state == NodeState.SUCCEEDED && resultEquals.equals(result);
    }

    /** The condition in its JSON form. */
    public ObjectNode toJson() {
        ObjectNode w = JsonNodeFactory.instance.objectNode();
        w.put("node", node);
        if (failed) {
            w.put("failed", true);
        } else {
            w.set("resultEquals", resultEquals);
        }
        return w;
    }

    /** The condition as it reads in a definition. */
    public String describe() {
        return failed ? node + " failed" : node + "'s result equals " + resultEquals;
    }
}
