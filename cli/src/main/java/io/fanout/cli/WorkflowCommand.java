package io.fanout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.client.FanoutClient;
import io.fanout.client.WorkflowBackfill;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.workflow.WorkflowVersions;
import io.fanout.query.RunQueries;
import io.fanout.query.WorkflowRunView;
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
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fanout workflow}: DAG workflows. Exit codes: 0 done, 1 a run failed or was rejected (or its state does not allow the action),
 * 2 an invalid definition, 3 timeout, 4 no such run.
 */
@Command(name = "workflow", mixinStandardHelpOptions = true, description = "Defines, runs and shows workflows: jobs that depend on jobs.",
        subcommands = {WorkflowCommand.Define.class, WorkflowCommand.ListWorkflows.class, WorkflowCommand.Run.class, WorkflowCommand.Status.class,
                WorkflowRunCommands.Cancel.class, WorkflowRunCommands.Suspend.class, WorkflowRunCommands.Resume.class, WorkflowRunCommands.Retry.class,
                WorkflowRunCommands.MarkSucceeded.class, WorkflowCommand.Backfill.class})
final class WorkflowCommand {

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
                return ExitCodes.USAGE;
            }
            WorkflowVersions store = new WorkflowVersions();
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                c.setAutoCommit(false);
                int latest = store.latest(c, def.name()).map(WorkflowVersions.Version::version).orElse(0);
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

        @Mixin
        OutputOptions output;

        /** A stored workflow at its latest version, as -o json lists it. */
        record Listed(String name, int version, int nodes, java.time.Instant definedAt) {
        }

        @Override
        public Integer call() throws Exception {
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                List<WorkflowVersions.Version> versions = new WorkflowVersions().latestOfEach(c);
                if (output.json()) {
                    output.print(versions.stream().map(v -> new Listed(v.definition().name(), v.version(), v.definition().nodes().size(), v.createdAt())).toList());
                    return 0;
                }
                System.out.printf("%-30s %-8s %-6s %s%n", "NAME", "VERSION", "NODES", "DEFINED");
                for (WorkflowVersions.Version v : versions) {
                    System.out.printf("%-30s %-8d %-6d %s%n", v.definition().name(), v.version(), v.definition().nodes().size(), v.createdAt());
                }
            }
            return 0;
        }
    }

    @Command(name = "run", description = {
            "Starts a run of a stored workflow (or of the definition in --file). With --wait, shows each node as it starts and ends, and exits 0 "
                    + "if the run succeeded, 1 if it failed or was rejected, 3 on timeout."})
    static final class Run implements Callable<Integer> {
        // --version is the workflow's version here, so no standard -V/--version: only help
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Mixin
        KafkaOptions kafka;

        @Parameters(index = "0", arity = "0..1", description = "The stored workflow's name (or give --file).")
        String name;

        @Option(names = "--file", description = "Run this definition (JSON file): stored as a new version if it differs from the latest.")
        Path file;

        @Option(names = "--version", description = "A stored version (default: the latest).")
        Integer version;

        @Option(names = "--params", description = "The run's parameters as a JSON object, referenced by nodes as $${params.NAME}.")
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
                return ExitCodes.USAGE;
            }
            try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
                UUID run = client.run(request);
                System.out.println("submitted workflow run " + run);
                if (!await) {
                    return 0;
                }
                JobEvent outcome;
                try {
                    outcome = client.await(run, timeout, WorkflowCommand::show);
                } catch (TimeoutException e) {
                    System.err.println(e.getMessage());
                    return ExitCodes.TIMEOUT;
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
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a run: its state, and each node's state, job, timings and result or error.")
    static final class Status implements Callable<Integer> {
        @Mixin
        DatabaseOptions db;

        @Mixin
        OutputOptions output;

        @Parameters(index = "0", description = "The run id.")
        UUID runId;

        @Override
        public Integer call() throws Exception {
            try (Database database = Database.connect(db.jdbcUrl, db.user, db.password(), 1); Connection c = database.connection()) {
                if (output.json()) {
                    Optional<Map<String, Object>> view = WorkflowRunView.read(c, runId); // as GET /api/v1/workflow-runs/{id}
                    view.ifPresent(output::print);
                    if (view.isEmpty()) {
                        System.err.println("no workflow run " + runId);
                    }
                    return view.isPresent() ? 0 : ExitCodes.NOT_FOUND;
                }
                if (!printStatus(c, runId)) {
                    System.err.println("no workflow run " + runId);
                    return ExitCodes.NOT_FOUND;
                }
            }
            return 0;
        }
    }

    /** Prints a run and its nodes (in definition order); false if there is no such run. */
    static boolean printStatus(Connection c, UUID runId) throws Exception {
        RunQueries.Run run = RunQueries.runs(c, List.of(runId)).get(runId);
        if (run == null) {
            return false;
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
        Map<String, RunQueries.Node> nodes = RunQueries.nodes(c, List.of(runId)).getOrDefault(runId, Map.of());
        WorkflowDefinition def = new WorkflowVersions().version(c, run.workflow(), run.version()).orElseThrow().definition();
        for (var wn : def.nodes()) {
            RunQueries.Node n = nodes.get(wn.name());
            String took = n.startedAt() != null && n.finishedAt() != null ? Duration.between(n.startedAt(), n.finishedAt()).toMillis() + " ms" : "-";
            String outcome = n.error() != null ? n.error() : n.resultJson() != null ? abbreviate(Json.readTree(n.resultJson())) : "";
            System.out.printf("%-24s %-16s %-7d %-36s %-9s %s%n", n.node(), n.state(), n.attempt(), n.jobId() == null ? "-" : n.jobId(), took, outcome);
        }
        return true;
    }

    @Command(name = "backfill", mixinStandardHelpOptions = true, description = {
            "Runs a stored workflow once per date of a range (the date as a run parameter), at most --parallelism at once; a failed date does "
                    + "not stop the others. Running it again starts no date twice. Exits 0 if every date succeeded, 1 otherwise."})
    static final class Backfill implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Parameters(index = "0", description = "The stored workflow's name.")
        String name;

        @Option(names = "--from", required = true, description = "The first date (e.g. 2026-11-01).")
        LocalDate from;

        @Option(names = "--to", required = true, description = "The last date, included.")
        LocalDate to;

        @Option(names = "--parallelism", defaultValue = "1", description = "Runs at once (default ${DEFAULT-VALUE}: one date after another).")
        int parallelism;

        @Option(names = "--date-param", defaultValue = "date", description = "The run parameter that carries the date (default ${DEFAULT-VALUE}).")
        String dateParam;

        @Option(names = "--params", description = "Other run parameters, the same for every date, as a JSON object.")
        String params;

        @Option(names = "--timeout", defaultValue = "PT6H", description = "How long to wait for each date's run (ISO-8601, default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() throws Exception {
            ObjectNode base;
            try {
                JsonNode p = params == null ? Json.mapper().createObjectNode() : Json.mapper().readTree(params);
                if (!p.isObject()) {
                    throw new IllegalArgumentException("not an object");
                }
                base = (ObjectNode) p;
            } catch (Exception e) {
                System.err.println("--params must be a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
                return ExitCodes.USAGE;
            }
            try (FanoutClient client = FanoutClient.connect(kafka.forCommand(), kafka.topics())) {
                List<WorkflowBackfill.DateRun> runs = new WorkflowBackfill(client, name, dateParam, base).run(from, to, parallelism, timeout,
                        r -> System.out.printf("%s  run %s  %s%n", r.date(), r.runId(), r.outcome() == null ? "still running after " + timeout
                                : r.outcome().type() == JobEvent.Type.REJECTED ? "REJECTED: " + r.outcome().reason()
                                : r.outcome().state() + (r.outcome().error() == null ? "" : ": " + r.outcome().error())));
                long ok = runs.stream().filter(WorkflowBackfill.DateRun::succeeded).count();
                System.out.printf("backfill of %s: %d of %d dates succeeded%n", name, ok, runs.size());
                return ok == runs.size() ? 0 : 1;
            }
        }
    }

    /** One line per run and node event, as `workflow run --wait` and the demo show them. */
    static void show(JobEvent e) {
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

    private static String abbreviate(JsonNode value) {
        String s = value.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
