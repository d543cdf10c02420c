package io.fanout.shared.workflow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * References to data in a node's job template: {@code ${nodes.NAME.result}} (optionally followed by
 * {@code .field} steps into the result) and {@code ${params.NAME}} (a run parameter, with the same
 * steps). A string that is exactly one reference becomes the referenced JSON value; a reference
 * inside a longer string is replaced by the value's text. They are resolved from stored results
 * when the node starts; nothing is evaluated.
 */
public final class References {

    private static final String STEPS = "((?:\\.[A-Za-z0-9_-]+)*)";
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{(?:nodes\\.([A-Za-z0-9_-]+)\\.result" + STEPS + "|params\\.([A-Za-z0-9_-]+)" + STEPS + ")}");
    private static final Pattern ANY = Pattern.compile("\\$\\{[^}]*}?");

    private References() {
    }

    /** One reference: to a node's result (with {@code node} set) or to a run parameter. */
    public record Reference(String text, String node, String param, List<String> steps) {
    }

    /** A reference that cannot be resolved, or one that is malformed. */
    public static final class UnresolvableReferenceException extends Exception {
        public UnresolvableReferenceException(String message) {
            super(message);
        }
    }

    /** Every reference in the template; throws on text that starts like a reference but is not one. */
    public static List<Reference> find(JsonNode template) throws UnresolvableReferenceException {
        List<Reference> found = new ArrayList<>();
        List<String> malformed = new ArrayList<>();
        strings(template, s -> {
            Matcher any = ANY.matcher(s);
            while (any.find()) {
                Matcher m = REFERENCE.matcher(any.group());
                if (m.matches()) {
                    found.add(reference(m));
                } else {
                    malformed.add(any.group());
                }
            }
        });
        if (!malformed.isEmpty()) {
            throw new UnresolvableReferenceException("malformed reference " + malformed.get(0)
                    + " (references read ${nodes.NAME.result}, ${nodes.NAME.result.field} or ${params.NAME})");
        }
        return found;
    }

    /**
     * A copy of the template with every reference replaced: node results from {@code results} (a
     * node without a result, or a missing field, gives null) and parameters from {@code params}
     * (a missing one is an error: the run was not given it).
     */
    public static JsonNode resolve(JsonNode template, Map<String, JsonNode> results, JsonNode params) throws UnresolvableReferenceException {
        if (template.isTextual()) {
            return resolveText(template.asText(), results, params);
        }
        if (template.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = template.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                copy.set(field.getKey(), resolve(field.getValue(), results, params));
            }
            return copy;
        }
        if (template.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            for (JsonNode item : template) {
                copy.add(resolve(item, results, params));
            }
            return copy;
        }
        return template;
    }

    private static JsonNode resolveText(String s, Map<String, JsonNode> results, JsonNode params) throws UnresolvableReferenceException {
        Matcher m = REFERENCE.matcher(s);
        if (m.matches()) {
            return value(reference(m), results, params);
        }
        StringBuilder out = new StringBuilder();
        int last = 0;
        m.reset();
        while (m.find()) {
            JsonNode v = value(reference(m), results, params);
            out.append(s, last, m.start()).append(v.isTextual() ? v.asText() : v.toString());
            last = m.end();
        }
        return last == 0 ? TextNode.valueOf(s) : TextNode.valueOf(out.append(s.substring(last)).toString());
    }

    private static JsonNode value(Reference r, Map<String, JsonNode> results, JsonNode params) throws UnresolvableReferenceException {
        JsonNode v;
        if (r.node() != null) {
            v = results.get(r.node());
        } else {
            v = params == null ? null : params.get(r.param());
            if (v == null) {
                throw new UnresolvableReferenceException(r.text() + ": the run has no parameter '" + r.param() + "'");
            }
        }
        for (String step : r.steps()) {
            v = v == null ? null : v.get(step);
        }
        return v == null ? NullNode.instance : v;
    }

    private static Reference reference(Matcher m) {
        boolean node = m.group(1) != null;
        String steps = node ? m.group(2) : m.group(4);
        List<String> list = steps.isEmpty() ? List.of() : List.of(steps.substring(1).split("\\."));
        return new Reference(m.group(), node ? m.group(1) : null, node ? null : m.group(3), list);
    }

    private static void strings(JsonNode node, Consumer<String> each) {
        if (node.isTextual()) {
            each.accept(node.asText());
        }
        node.forEach(child -> strings(child, each));
    }
}
