package io.fanout.shared.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.Pools;
import io.fanout.shared.json.Json;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/** Reads and writes the JSON job request format, with a clear reason for anything it rejects. */
public final class JobRequests {

    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,200}");
    private static final Set<String> FIELDS = Set.of("id", "key", "processor", "params", "items", "taskName", "pool", "retry", "taskTimeoutMs",
            "deadlineMs", "maxFailedTasks", "parallelism", "priority", "ttlAfterFinishedMs", "alerts");
    /**
     * The longest task timeout, deadline or backoff a request may ask for (a year): longer ones are
     * mistakes, and a time that far added to a clock reading overflows.
     */
    public static final long MAX_DURATION_MS = Duration.ofDays(365).toMillis();
    /** The longest time a finished job may be kept (ten years): longer is "for ever", which the installation's default can say. */
    public static final long MAX_TTL_MS = Duration.ofDays(3650).toMillis();
    private static final Set<String> RETRY_FIELDS = Set.of("maxAttempts", "initialBackoffMs", "multiplier", "maxBackoffMs", "jitter", "nonRetryable");
    private static final int MAX_KEY_LENGTH = 200;
    /**
     * The largest request (its JSON), which the jobs topic's {@code max.message.bytes} also allows
     * (with room for the record's key and headers): large inputs belong in a root task's map. Half
     * of Kafka's default record limit, because the root task's record carries the params again,
     * with its own fields, through producers and topics at their defaults.
     */
    public static final int MAX_REQUEST_BYTES = 512 * 1024;
    /** The most static items one request may carry; more are mapped by a root task, which streams them. */
    public static final int MAX_ITEMS = 100_000;
    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*");

    private JobRequests() {
    }

    public static JobRequest parse(byte[] json) throws InvalidJobRequestException {
        if (json == null || json.length == 0) {
            throw new InvalidJobRequestException("empty record: a job request is a JSON object");
        }
        if (json.length > MAX_REQUEST_BYTES) {
            throw new InvalidJobRequestException("the request is " + json.length + " bytes, more than the " + MAX_REQUEST_BYTES
                    + " a job request may have: pass large inputs by reference, or map them from a root task");
        }
        JsonNode root;
        try {
            root = Json.readTree(json);
        } catch (IOException e) {
            throw new InvalidJobRequestException("not JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new InvalidJobRequestException("a job request is a JSON object, got " + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidJobRequestException("unknown field '" + name + "' (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
            }
        }
        String processor = text(root, "processor", true);
        if (!NAME.matcher(processor).matches()) {
            throw new InvalidJobRequestException("field 'processor' must be 1-200 letters, digits or . _ : -, got '" + processor + "'");
        }
        String key = text(root, "key", false);
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH || key.chars().anyMatch(Character::isISOControl))) {
            throw new InvalidJobRequestException("field 'key' must be 1-" + MAX_KEY_LENGTH + " characters, none of them control characters");
        }
        UUID id = uuid(root, key);
        JsonNode params = root.get("params");
        if (params != null && params.isNull()) {
            params = null;
        }
        List<JsonNode> items = items(root);
        String taskName = text(root, "taskName", false);
        if (taskName != null && items == null) {
            throw new InvalidJobRequestException("field 'taskName' goes with 'items' (a static fan-out)");
        }
        if (taskName != null) {
            checkTaskName(taskName);
        }
        String pool = text(root, "pool", false);
        if (pool == null) {
            pool = Pools.DEFAULT;
        } else if (!Pools.NAME.matcher(pool).matches()) {
            throw new InvalidJobRequestException("field 'pool' must be 1-63 of a-z 0-9 _ - (starting with a letter or digit), got '" + pool + "'");
        }
        return new JobRequest(id, key, processor, params, items, items == null ? null : (taskName == null ? "item" : taskName), pool,
                retry(root.get("retry")), duration(root, "taskTimeoutMs"), duration(root, "deadlineMs"), number(root, "maxFailedTasks", 0, 0, Long.MAX_VALUE),
                (int) number(root, "parallelism", 0, 0, Integer.MAX_VALUE), (int) number(root, "priority", 0, -1000, 1000), ttl(root),
                alerts(root.get("alerts")));
    }

    private static RetryPolicy retry(JsonNode node) throws InvalidJobRequestException {
        RetryPolicy d = RetryPolicy.DEFAULT;
        if (node == null || node.isNull()) {
            return d;
        }
        if (!node.isObject()) {
            throw new InvalidJobRequestException("field 'retry' must be an object, got " + node.getNodeType().toString().toLowerCase());
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!RETRY_FIELDS.contains(name)) {
                throw new InvalidJobRequestException("unknown field 'retry." + name + "' (known: " + String.join(", ", new TreeSet<>(RETRY_FIELDS)) + ")");
            }
        }
        List<String> nonRetryable = new ArrayList<>();
        JsonNode classes = node.get("nonRetryable");
        if (classes != null && !classes.isNull()) {
            if (!classes.isArray()) {
                throw new InvalidJobRequestException("field 'retry.nonRetryable' must be an array of class names");
            }
            for (JsonNode c : classes) {
                if (!c.isTextual() || !CLASS_NAME.matcher(c.asText()).matches()) {
                    throw new InvalidJobRequestException("field 'retry.nonRetryable' must hold class names like java.io.IOException, got " + c);
                }
                nonRetryable.add(c.asText());
            }
        }
        try {
            return new RetryPolicy(
                    (int) number(node, "maxAttempts", d.maxAttempts(), 1, RetryPolicy.MAX_ATTEMPTS),
                    Duration.ofMillis(number(node, "initialBackoffMs", d.initialBackoff().toMillis(), 0, MAX_DURATION_MS)),
                    fraction(node, "multiplier", d.multiplier()),
                    Duration.ofMillis(number(node, "maxBackoffMs", d.maxBackoff().toMillis(), 0, MAX_DURATION_MS)),
                    fraction(node, "jitter", d.jitter()),
                    nonRetryable);
        } catch (IllegalArgumentException e) {
            throw new InvalidJobRequestException("field 'retry': " + e.getMessage());
        }
    }

    private static Duration duration(JsonNode root, String field) throws InvalidJobRequestException {
        long ms = number(root, field, 0, 0, MAX_DURATION_MS);
        return ms == 0 ? null : Duration.ofMillis(ms);
    }

    /** {@code "alerts": {"webhooks": ["https://..."]}}: the job's own alert receivers (an empty list silences its alerts). */
    private static List<URI> alerts(JsonNode node) throws InvalidJobRequestException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject() || node.size() != 1 || !node.has("webhooks") || !node.get("webhooks").isArray()) {
            throw new InvalidJobRequestException("field 'alerts' must be {\"webhooks\": [\"https://...\", ...]}");
        }
        JsonNode hooks = node.get("webhooks");
        if (hooks.size() > Webhooks.MAX_PER_JOB) {
            throw new InvalidJobRequestException("field 'alerts.webhooks' holds at most " + Webhooks.MAX_PER_JOB + " URLs, got " + hooks.size());
        }
        List<URI> urls = new ArrayList<>();
        for (JsonNode h : hooks) {
            try {
                urls.add(Webhooks.check(h.isTextual() ? h.asText() : h.toString()));
            } catch (IllegalArgumentException e) {
                throw new InvalidJobRequestException("field 'alerts.webhooks': " + e.getMessage());
            }
        }
        return urls;
    }

    private static Duration ttl(JsonNode root) throws InvalidJobRequestException {
        long ms = number(root, "ttlAfterFinishedMs", -1, 0, MAX_TTL_MS);
        return ms < 0 ? null : Duration.ofMillis(ms);
    }

    private static long number(JsonNode root, String field, long absent, long min, long max) throws InvalidJobRequestException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new InvalidJobRequestException("field '" + field + "' must be a whole number from " + min + (max == Long.MAX_VALUE ? " up" : " to " + max)
                    + ", got " + v);
        }
        return v.asLong();
    }

    private static double fraction(JsonNode root, String field, double absent) throws InvalidJobRequestException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isNumber()) {
            throw new InvalidJobRequestException("field '" + field + "' must be a number, got " + v);
        }
        return v.asDouble();
    }

    /** Rejects names reserved for Fanout's own tasks. */
    public static void checkTaskName(String taskName) throws InvalidJobRequestException {
        if (taskName.isEmpty() || taskName.startsWith(TaskKind.RESERVED_PREFIX)) {
            throw new InvalidJobRequestException("task name '" + taskName + "' is reserved or empty: names starting with '"
                    + TaskKind.RESERVED_PREFIX + "' belong to Fanout");
        }
    }

    public static byte[] toJson(JobRequest request) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", request.id().toString());
        if (request.key() != null) {
            node.put("key", request.key());
        }
        node.put("processor", request.processor());
        if (request.params() != null) {
            node.set("params", request.params());
        }
        if (request.items() != null) {
            node.putArray("items").addAll(request.items());
            node.put("taskName", request.taskName());
        }
        if (!Pools.DEFAULT.equals(request.pool())) {
            node.put("pool", request.pool());
        }
        if (!RetryPolicy.DEFAULT.equals(request.retry())) {
            node.set("retry", retryJson(request.retry()));
        }
        if (request.taskTimeout() != null) {
            node.put("taskTimeoutMs", request.taskTimeout().toMillis());
        }
        if (request.deadline() != null) {
            node.put("deadlineMs", request.deadline().toMillis());
        }
        if (request.maxFailedTasks() > 0) {
            node.put("maxFailedTasks", request.maxFailedTasks());
        }
        if (request.parallelism() > 0) {
            node.put("parallelism", request.parallelism());
        }
        if (request.priority() != 0) {
            node.put("priority", request.priority());
        }
        if (request.ttlAfterFinished() != null) {
            node.put("ttlAfterFinishedMs", request.ttlAfterFinished().toMillis());
        }
        if (request.alertWebhooks() != null) {
            ArrayNode hooks = node.putObject("alerts").putArray("webhooks");
            request.alertWebhooks().forEach(u -> hooks.add(u.toString()));
        }
        return Json.toBytes(node);
    }

    static ObjectNode retryJson(RetryPolicy policy) {
        ObjectNode retry = JsonNodeFactory.instance.objectNode();
        retry.put("maxAttempts", policy.maxAttempts());
        retry.put("initialBackoffMs", policy.initialBackoff().toMillis());
        retry.put("multiplier", policy.multiplier());
        retry.put("maxBackoffMs", policy.maxBackoff().toMillis());
        retry.put("jitter", policy.jitter());
        policy.nonRetryable().forEach(retry.putArray("nonRetryable")::add);
        return retry;
    }

    public static JobRequestBuilder builder(String processor) {
        return new JobRequestBuilder(processor);
    }

    private static UUID uuid(JsonNode root, String key) throws InvalidJobRequestException {
        String id = text(root, "id", false);
        if (id == null) {
            return key != null ? TaskIds.jobIdForKey(key) : UUID.randomUUID();
        }
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new InvalidJobRequestException("field 'id' must be a UUID, got '" + id + "'");
        }
    }

    private static List<JsonNode> items(JsonNode root) throws InvalidJobRequestException {
        JsonNode items = root.get("items");
        if (items == null || items.isNull()) {
            return null;
        }
        if (!items.isArray()) {
            throw new InvalidJobRequestException("field 'items' must be an array, got " + items.getNodeType().toString().toLowerCase());
        }
        if (items.isEmpty()) {
            throw new InvalidJobRequestException("field 'items' is empty: a static fan-out needs at least one item");
        }
        if (items.size() > MAX_ITEMS) {
            throw new InvalidJobRequestException("field 'items' holds " + items.size() + " items, more than the " + MAX_ITEMS
                    + " a request may carry: map them from a root task instead (it streams them in batches)");
        }
        List<JsonNode> list = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).isNull()) {
                throw new InvalidJobRequestException("items[" + i + "] is null");
            }
            list.add(items.get(i));
        }
        return list;
    }

    private static String text(JsonNode root, String field, boolean required) throws InvalidJobRequestException {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new InvalidJobRequestException("missing field '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new InvalidJobRequestException("field '" + field + "' must be a string, got " + v.getNodeType().toString().toLowerCase());
        }
        return v.asText();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
