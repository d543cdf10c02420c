package io.fanout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowDefinitions;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fanout workflow}: DAG workflows. Exit codes: 0 done, 1 a run failed or was rejected, 2 an invalid definition, 3 timeout, 4 no such run. */
@Command(name = "workflow", mixinStandardHelpOptions = true, description = "Defines, runs and shows workflows: jobs that depend on jobs.",
        subcommands = {WorkflowCommand.Define.class, WorkflowCommand.ListWorkflows.class, WorkflowCommand.Run.class, WorkflowCommand.Status.class})
final class WorkflowCommand {

    static final int INVALID = 2;

    @Command(name = "define", mixinStandardHelpOptions = true,
            description = "Checks a definition (JSON file) and stores it as the workflow's next version, unless it equals the latest.")
    static final class Define implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", description = "The definition, a JSON file.")
        Path file;

        @Override
        public Integer call() throws Exception {
            WorkflowDefinition def;
            try {
                def = WorkflowDefinitions.parse(Files.readAllBytes(file));
            } catch (InvalidWorkflowException e) {
                System.err.println(file + " is not a valid workflow:");
                e.reasons().forEach(r -> System.err.println("  - " + r));
                return INVALID;
            }
            WorkflowStore store = new WorkflowStore();
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                c.setAutoCommit(false);
                int latest = store.latest(c, def.name()).map(WorkflowStore.Version::version).orElse(0);
                int version = store.define(c, def);
                c.commit();
                System.out.printf("workflow %s: version %d (%d nodes, %d edges)%s%n", def.name(), version, def.nodes().size(), def.edges().size(),
                        version == latest ? ", unchanged" : "");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the stored workflows, each at its latest version.")
    static final class ListWorkflows implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Override
        public Integer call() throws Exception {
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                System.out.printf("%-30s %-8s %-6s %s%n", "NAME", "VERSION", "NODES", "DEFINED");
                for (WorkflowStore.Version v : new WorkflowStore().latestOfEach(c)) {
                    System.out.printf("%-30s %-8d %-6d %s%n", v.definition().name(), v.version(), v.definition().nodes().size(), v.createdAt());
                }
            }
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = {
            "Starts a run of a stored workflow (or of the definition in --file). With --wait, shows each node as it starts and ends, and exits 0 "
                    + "if the run succeeded, 1 if it failed or was rejected, 3 on timeout."})
    static final class Run implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Parameters(index = "0", arity = "0..1", description = "The stored workflow's name (or give --file).")
        String name;

        @Option(names = "--file", description = "Run this definition (JSON file): stored as a new version if it differs from the latest.")
        Path file;

        @Option(names = "--version", description = "A stored version (default: the latest).")
        Integer version;

        @Option(names = "--params", description = "The run's parameters as a JSON object, referenced by nodes as ${params.NAME}.")
        String params;

        @Option(names = "--key", description = "Client key: running the same key again starts no second run.")
        String key;

        @Option(names = "--wait", description = "Wait for the outcome, showing each node.")
        boolean await;

        @Option(names = "--timeout", defaultValue = "PT1H", description = "How long --wait waits (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            WorkflowRunRequest request;
            try {
                request = request();
            } catch (InvalidWorkflowException e) {
                System.err.println("invalid run request:");
                e.reasons().forEach(r -> System.err.println("  - " + r));
                return INVALID;
            }
            try (FanoutClient client = FanoutClient.connect(kafka.kafka(), kafka.topics())) {
                UUID run = client.run(request);
                System.out.println("submitted workflow run " + run);
                if (!await) {
                    return 0;
                }
                JobEvent outcome;
                try {
                    outcome = client.await(run, timeout, Run::show);
                } catch (TimeoutException e) {
                    System.err.println(e.getMessage());
                    return 3;
                }
                return outcome.type() == JobEvent.Type.RUN_FINISHED && outcome.state() == io.fanout.shared.model.JobState.SUCCEEDED ? 0 : 1;
            }
        }

        WorkflowRunRequest request() throws Exception {
            ObjectNode root = Json.mapper().createObjectNode();
            if (file != null) {
                root.set("workflow", Json.readTree(Files.readAllBytes(file)));
            } else if (name != null) {
                root.put("workflow", name);
            } else {
                throw new InvalidWorkflowException("name a stored workflow, or give --file");
            }
            if (version != null) {
                root.put("version", version);
            }
            if (key != null) {
                root.put("key", key);
            } else {
                root.put("id", UUID.randomUUID().toString());
            }
            if (params != null) {
                try {
                    root.set("params", Json.mapper().readTree(params));
                } catch (Exception e) {
                    throw new InvalidWorkflowException("--params is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
                }
            }
            return WorkflowRunRequest.parse(root);
        }

        private static void show(JobEvent e) {
            JobEvent.Workflow w = e.workflow();
            switch (e.type()) {
                case RUN_STARTED -> System.out.printf("run %s of %s v%d started%n", e.jobId(), w.name(), w.version());
                case NODE_STARTED -> System.out.printf("  node %-24s RUNNING   job %s%n", w.node(), w.nodeJob());
                case NODE_FINISHED -> System.out.printf("  node %-24s %-9s%s%n", w.node(), w.nodeState(),
                        e.error() != null ? " " + e.error() : e.result() != null ? " result " + abbreviate(e.result()) : "");
                case RUN_FINISHED -> System.out.printf("run %s %s%s%n", e.jobId(), e.state(), e.error() == null ? "" : ": " + e.error());
                case REJECTED -> System.out.printf("run %s REJECTED: %s%n", e.jobId(), e.reason());
                default -> {
                }
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a run: its state, and each node's state, job, timings and result or error.")
    static final class Status implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Parameters(index = "0", description = "The run id.")
        UUID runId;

        @Override
        public Integer call() throws Exception {
            WorkflowStore store = new WorkflowStore();
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                WorkflowStore.Run run = store.runs(c, List.of(runId)).get(runId);
                if (run == null) {
                    System.err.println("no workflow run " + runId);
                    return DlqCommand.NOTHING_MATCHED;
                }
                System.out.printf("run       %s%nworkflow  %s v%d%nstate     %s%nparams    %s%ncreated   %s%n", run.runId(), run.workflow(), run.version(),
                        run.state(), run.params(), run.createdAt());
                if (run.finishedAt() != null) {
                    System.out.printf("finished  %s (%d ms)%n", run.finishedAt(), Duration.between(run.createdAt(), run.finishedAt()).toMillis());
                }
                if (run.error() != null) {
                    System.out.println("error     " + run.error());
                }
                System.out.printf("%n%-24s %-16s %-7s %-36s %-9s %s%n", "NODE", "STATE", "ATTEMPT", "JOB", "TOOK", "RESULT / ERROR");
                Map<String, WorkflowStore.Node> nodes = store.nodes(c, List.of(runId)).getOrDefault(runId, Map.of());
                WorkflowDefinition def = store.version(c, run.workflow(), run.version()).orElseThrow().definition();
                for (var wn : def.nodes()) {
                    WorkflowStore.Node n = nodes.get(wn.name());
                    String took = n.startedAt() != null && n.finishedAt() != null ? Duration.between(n.startedAt(), n.finishedAt()).toMillis() + " ms" : "-";
                    String outcome = n.error() != null ? n.error() : n.resultJson() != null ? abbreviate(Json.readTree(n.resultJson())) : "";
                    System.out.printf("%-24s %-16s %-7d %-36s %-9s %s%n", n.node(), n.state(), n.attempt(), n.jobId() == null ? "-" : n.jobId(), took, outcome);
                }
            }
            return 0;
        }
    }

    private static String abbreviate(JsonNode value) {
        String s = value.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
