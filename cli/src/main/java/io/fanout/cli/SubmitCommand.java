package io.fanout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.client.FanoutClient;
import io.fanout.query.JobStatus;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", mixinStandardHelpOptions = true, description = {
        "Submits a job. With --wait, shows its progress (as fanout watch does) and exits 0 if it succeeded, 1 if it failed, was cancelled",
        "or was rejected, 3 on timeout. With --key and --wait, a job of that key that has ended already is reported at once (looked up in",
        "PostgreSQL: --jdbc-url)."})
final class SubmitCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    @Mixin
    OutputOptions output;

    @Parameters(index = "0", description = "The processor that runs the job.")
    String processor;

    @Option(names = "--params", description = "JSON handed to the root task, e.g. '{\"limit\": 1000000}'.")
    String params;

    @Option(names = "--items", description = "A JSON array: a static fan-out, one subtask per item (no root task).")
    String items;

    @Option(names = "--task-name", description = "Task name of the static items (default: item).")
    String taskName;

    @Option(names = "--key", description = "Client key: submitting the same key again creates no second job.")
    String key;

    @Option(names = "--pool", description = "The executor pool that runs the job (default: default).")
    String pool;

    @Option(names = "--retry", description = "The retry policy as JSON, e.g. '{\"maxAttempts\": 5, \"initialBackoffMs\": 2000}'.")
    String retry;

    @Option(names = "--task-timeout", description = "How long one attempt may run (ISO-8601, e.g. PT30S).")
    Duration taskTimeout;

    @Option(names = "--deadline", description = "How long the whole job may take (ISO-8601, e.g. PT1H).")
    Duration deadline;

    @Option(names = "--max-failed-tasks", description = "How many tasks may fail for good while the job still succeeds.")
    Long maxFailedTasks;

    @Option(names = "--parallelism", description = "At most this many of the job's tasks in flight at once.")
    Integer parallelism;

    @Option(names = "--priority", description = "-1000 to 1000 (default 0): with a coordinator dispatch window, higher goes first.")
    Integer priority;

    @Option(names = "--ttl-after-finished", description = "How long the job's rows are kept once it has finished (ISO-8601, e.g. PT1H; "
            + "PT0S: deleted at the next retention round). Default: the installation's job retention.")
    Duration ttlAfterFinished;

    @Option(names = "--alert-webhook", description = "Where this job's alerts go instead of the installation's (repeatable; on hosts the "
            + "installation allows).")
    List<String> alertWebhooks;

    @Option(names = "--wait", description = "Wait for the outcome, showing progress.")
    boolean await;

    @Option(names = "--timeout", defaultValue = "PT1H", description = "How long --wait waits (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        JobRequest request = request();
        try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
            UUID job = client.submit(request);
            if (output.json() && !await) {
                output.print(Map.of("jobId", job));
                return ExitCodes.OK;
            }
            (output.json() ? System.err : System.out).println("submitted job " + job);
            if (!await) {
                return ExitCodes.OK;
            }
            return JobWatch.awaitAndPrint(client, job, request.key() == null ? null : known(job), timeout, output);
        }
    }

    /**
     * The keyed job as PostgreSQL has it: the same key may name a job that ended long ago, whose
     * final event will not come again. Without a reachable database the wait relies on the events.
     */
    private JobStatus known(UUID job) {
        try {
            return db.job(job).orElse(null);
        } catch (SQLException e) {
            System.err.println("fanout: " + e.getMessage() + "; waiting for the job's events only");
            return null;
        }
    }

    JobRequest request() throws InvalidJobRequestException {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("processor", processor);
        if (key != null) {
            node.put("key", key);
        } else {
            node.put("id", UUID.randomUUID().toString());
        }
        if (params != null) {
            node.set("params", json("--params", params));
        }
        if (items != null) {
            node.set("items", json("--items", items));
        }
        if (taskName != null) {
            node.put("taskName", taskName);
        }
        if (pool != null) {
            node.put("pool", pool);
        }
        if (retry != null) {
            node.set("retry", json("--retry", retry));
        }
        if (taskTimeout != null) {
            node.put("taskTimeoutMs", taskTimeout.toMillis());
        }
        if (deadline != null) {
            node.put("deadlineMs", deadline.toMillis());
        }
        if (maxFailedTasks != null) {
            node.put("maxFailedTasks", maxFailedTasks);
        }
        if (parallelism != null) {
            node.put("parallelism", parallelism);
        }
        if (priority != null) {
            node.put("priority", priority);
        }
        if (ttlAfterFinished != null) {
            node.put("ttlAfterFinishedMs", ttlAfterFinished.toMillis());
        }
        if (alertWebhooks != null) {
            alertWebhooks.forEach(node.putObject("alerts").putArray("webhooks")::add);
        }
        return JobRequests.parse(Json.toBytes(node));
    }

    private static JsonNode json(String option, String text) throws InvalidJobRequestException {
        try {
            return Json.mapper().readTree(text);
        } catch (Exception e) {
            throw new InvalidJobRequestException(option + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
