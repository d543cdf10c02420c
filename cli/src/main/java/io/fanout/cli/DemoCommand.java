package io.fanout.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Scope;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.store.Database;
import io.fanout.embedded.EmbeddedDatabase;
import io.fanout.embedded.EmbeddedKafka;
import io.fanout.examples.Examples;
import io.fanout.examples.Greeter;
import io.fanout.examples.PrimeCount;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.query.JobStatusReader;
import io.fanout.query.RunQueries;
import io.fanout.shared.GroupIds;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.TriggerRule;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

@Command(name = "demo", mixinStandardHelpOptions = true, description = {
        "Runs a real map-reduce job end to end on this machine: an embedded Kafka broker and PostgreSQL server, a coordinator and",
        "executors start, a prime-counting job is submitted, its progress is shown and its result verified (with --workflow: a",
        "workflow of such jobs). Ctrl-C stops everything."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--limit", defaultValue = "20000000", description = "Count the primes below this number (default ${DEFAULT-VALUE}).")
    long limit;

    @Option(names = "--slices", defaultValue = "2000", description = "How many subtasks to split the range into (default ${DEFAULT-VALUE}).")
    int slices;

    @Option(names = "--executors", defaultValue = "2", description = "How many executors to start (default ${DEFAULT-VALUE}).")
    int executors;

    @Option(names = "--workflow", description = "Instead: a workflow of jobs, two prime counts in parallel whose results a third node reports.")
    boolean workflow;

    @Option(names = "--stay", description = "Keep everything running after the job (the console stays up) until Ctrl-C.")
    boolean stay;

    @Option(names = "--verbose", description = "Show Fanout's own log lines.")
    boolean verbose;

    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
            // the embedded broker's own client warns while it shuts down
            ((Logger) LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient")).setLevel(Level.ERROR);
        }
        // Stop in order (client, executors, coordinator, then the servers) before the JVM's own
        // shutdown hooks run: the embedded servers register hooks that would stop them first.
        Signal.handle(new Signal("INT"), s -> stopAndExit(130));
        Signal.handle(new Signal("TERM"), s -> stopAndExit(143));
        try {
            return run();
        } finally {
            stopAll();
        }
    }

    private int run() throws Exception {
        long t0 = System.nanoTime();
        step("starting an embedded Kafka broker (KRaft)");
        EmbeddedKafka kafka = keep(EmbeddedKafka.start());
        step("starting an embedded PostgreSQL server");
        EmbeddedDatabase db = keep(EmbeddedDatabase.start());
        TopicNames topics = TopicNames.defaults();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            new TopicProvisioner(admin).apply(TopicLayout.defaults(topics));
        }
        step("starting a coordinator and " + executors + " executors");
        keep(Coordinator.start(CoordinatorConfig.builder()
                .bootstrapServers(kafka.bootstrapServers())
                .topics(topics)
                .database(db.jdbcUrl(), db.user(), null)
                .knownProcessors(Examples.all().keySet())
                .build()));
        for (int i = 1; i <= executors; i++) {
            keep(FanoutExecutor.start(ExecutorConfig.builder()
                    .bootstrapServers(kafka.bootstrapServers())
                    .topics(topics)
                    .executorId("demo-executor-" + i)
                    .processors(Examples.all())
                    .concurrency(Runtime.getRuntime().availableProcessors())
                    .build()));
        }
        FanoutClient client = keep(FanoutClient.connect(kafka.bootstrapServers(), topics));
        ApiServer console = keep(ApiServer.start(new ApiServer.Config("127.0.0.1", 0, db.jdbcUrl(), db.user(), null,
                Map.of("bootstrap.servers", kafka.bootstrapServers()), topics, GroupIds.DEFAULT_EXECUTORS)));
        String token;
        try (Database tokens = Database.connect(db.jdbcUrl(), db.user(), null, 1)) {
            token = new ApiTokens(tokens.dataSource()).create("demo", Scope.OPERATE, Duration.ofDays(1), "demo").secret();
        }
        System.out.printf("ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.printf("console: http://127.0.0.1:%d/console  (sign in with %s; --stay keeps it up after the job)%n%n", console.port(), token);
        int code = workflow ? runWorkflow(client, db) : runJob(client, db);
        if (stay) {
            System.out.println("everything keeps running: Ctrl-C stops it");
            new java.util.concurrent.CountDownLatch(1).await();
        }
        return code;
    }

    private int runJob(FanoutClient client, EmbeddedDatabase db) throws Exception {

        System.out.printf("submitting job: count the primes below %,d in %,d subtasks (map), then add them up (reduce)%n", limit, slices);
        long submitted = System.nanoTime();
        UUID job = client.submit(JobRequests.builder(PrimeCount.NAME).params(new PrimeCount.Params(limit, slices)).build());
        JobEvent outcome = JobWatch.await(client, job, null, Duration.ofMinutes(30), Progress.on(System.out));
        if (outcome == null) {
            System.out.println("job " + job + " did not end within 30 minutes");
            return ExitCodes.TIMEOUT;
        }
        double seconds = (System.nanoTime() - submitted) / 1e9;
        int code = Outcomes.print(outcome, null);
        if (code != 0) {
            return code;
        }
        long expected = localCount(limit);
        long got = outcome.result().asLong();
        System.out.printf("%s: %,d primes below %,d (a local sieve says %,d); %,d tasks in %.2f s%n%n", got == expected ? "VERIFIED" : "WRONG",
                got, limit, expected, outcome.tasks().total(), seconds);
        System.out.println("fanout status " + job + ":");
        JobStatusReader.read(db.jdbcUrl(), db.user(), null, job).ifPresent(s -> System.out.print(s.render()));
        return got == expected ? 0 : 1;
    }

    /**
     * Two map/reduce prime counts (below half the limit, and below the limit) run in parallel; a
     * third node greets with both results; a fourth, for failures only, is skipped.
     */
    private int runWorkflow(FanoutClient client, EmbeddedDatabase db) throws Exception {
        long half = limit / 2;
        WorkflowDefinition def = Workflows.define("primes-report")
                .node("low", JobRequests.builder(PrimeCount.NAME).params(new PrimeCount.Params(half, Math.max(1, slices / 2))).build())
                .node("high", JobRequests.builder(PrimeCount.NAME).params(new PrimeCount.Params(limit, slices)).build())
                .node("report", JobRequests.builder(Greeter.NAME).params(new Greeter.Params(
                        "${nodes.low.result} primes below " + half + " and ${nodes.high.result} below " + limit)).build(), "low", "high")
                .node("on-failure", JobRequests.builder(Greeter.NAME).params(new Greeter.Params("on-call")).build(), TriggerRule.ONE_FAILED, null,
                        "report")
                .build();
        System.out.println("submitting workflow primes-report: nodes low and high count primes (map/reduce each) in parallel,");
        System.out.println("report greets with both results, on-failure runs only if report fails");
        UUID run = client.run(Workflows.run(def, null));
        JobEvent outcome = client.await(run, Duration.ofMinutes(30), WorkflowCommand::show);
        System.out.println();
        String expected = "hello, " + localCount(half) + " primes below " + half + " and " + localCount(limit) + " below " + limit;
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), null)) {
            WorkflowCommand.printStatus(c, run);
            String resultJson = RunQueries.nodes(c, List.of(run)).get(run).get("report").resultJson();
            String report = resultJson == null ? "(none)" : Json.readTree(resultJson).asText();
            boolean right = outcome.state() == JobState.SUCCEEDED && report.equals(expected);
            System.out.printf("%n%s: report says \"%s\" (local sieves say \"%s\")%n", right ? "VERIFIED" : "WRONG", report, expected);
            return right ? 0 : 1;
        }
    }

    /** The same count done here, slice by slice so memory stays small whatever the limit. */
    private static long localCount(long limit) {
        long count = 0;
        for (long from = 0; from < limit; from += 10_000_000) {
            count += PrimeCount.countPrimes(from, Math.min(limit, from + 10_000_000));
        }
        return count;
    }

    private <T extends AutoCloseable> T keep(T resource) {
        running.push(resource);
        return resource;
    }

    private void stopAndExit(int code) {
        System.out.println();
        System.out.println("stopping...");
        stopAll();
        System.exit(code);
    }

    private void stopAll() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                System.err.println("fanout demo: error while stopping: " + e.getMessage());
            }
        }
    }

    private static void step(String what) {
        System.out.println("- " + what);
    }
}
