package io.fanout.shared.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.shared.json.Json;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Builds a request in Java; {@link #build()} applies the same rules as {@link JobRequests#parse}. */
public final class JobRequestBuilder {
    private final ObjectNode node = JsonNodeFactory.instance.objectNode();

    JobRequestBuilder(String processor) {
        node.put("processor", processor);
    }

    public JobRequestBuilder key(String key) {
        node.put("key", key);
        return this;
    }

    public JobRequestBuilder id(UUID id) {
        node.put("id", id.toString());
        return this;
    }

    /** Params for the root task: any value Jackson can write as JSON. */
    public JobRequestBuilder params(Object params) {
        node.set("params", Json.mapper().valueToTree(params));
        return this;
    }

    /** The executor pool that runs the job (default: {@value Pools#DEFAULT}). */
    public JobRequestBuilder pool(String pool) {
        node.put("pool", pool);
        return this;
    }

    /** A static fan-out: each item becomes one subtask, there is no root task. */
    public JobRequestBuilder items(List<?> items, String taskName) {
        node.putArray("items").addAll(items.stream().<JsonNode>map(i -> Json.mapper().valueToTree(i)).toList());
        node.put("taskName", taskName);
        return this;
    }

    /** How failed tasks are retried (default: {@link RetryPolicy#DEFAULT}). */
    public JobRequestBuilder retry(RetryPolicy policy) {
        node.set("retry", JobRequests.retryJson(policy));
        return this;
    }

    /** How long one attempt of a task may run before the executor stops it. */
    public JobRequestBuilder taskTimeout(Duration timeout) {
        node.put("taskTimeoutMs", timeout.toMillis());
        return this;
    }

    /** How long the whole job may take; past it the job fails and its remaining tasks are cancelled. */
    public JobRequestBuilder deadline(Duration deadline) {
        node.put("deadlineMs", deadline.toMillis());
        return this;
    }

    /** How many tasks may fail for good (dead-lettered) while the job still succeeds. */
    public JobRequestBuilder maxFailedTasks(long n) {
        node.put("maxFailedTasks", n);
        return this;
    }

    /** -1000 to 1000 (default 0): with a dispatch window, higher-priority jobs' tasks go first. */
    public JobRequestBuilder priority(int priority) {
        node.put("priority", priority);
        return this;
    }

    /** At most this many of the job's tasks in flight at once. */
    public JobRequestBuilder parallelism(int n) {
        node.put("parallelism", n);
        return this;
    }

    /** How long the job's rows are kept once it has finished (default: the installation's job retention). */
    public JobRequestBuilder ttlAfterFinished(Duration ttl) {
        node.put("ttlAfterFinishedMs", ttl.toMillis());
        return this;
    }

    /** Where the job's alerts go instead of the installation's webhooks; none silences them. */
    public JobRequestBuilder alertWebhooks(List<URI> webhooks) {
        ArrayNode hooks = node.putObject("alerts").putArray("webhooks");
        webhooks.forEach(u -> hooks.add(u.toString()));
        return this;
    }

    public JobRequest build() {
        if (!node.has("id") && !node.has("key")) {
            node.put("id", UUID.randomUUID().toString());
        }
        try {
            return JobRequests.parse(Json.toBytes(node));
        } catch (InvalidJobRequestException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
