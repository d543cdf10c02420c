package io.fanout.cli;

import io.fanout.bench.BenchSite;
import io.fanout.bench.CommandLatencyBenchmark;
import io.fanout.bench.Benchmark;
import io.fanout.bench.PeerComparison;
import io.fanout.bench.ScalingBenchmark;
import io.fanout.bench.WorkflowBenchmark;
import io.fanout.coordinator.CoordinatorConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = {
        "Measures, on one broker and one database (embedded ones unless named): the raw Kafka round trip, a Fanout job of N no-op",
        "subtasks (coordinator, executors, PostgreSQL; each task checked to run exactly once), and the submit-to-done latency of",
        "single-task jobs at a fixed rate. On a named database each run works in a schema of its own, dropped afterwards."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--tasks", defaultValue = "1000000", description = "N, the records / subtasks of the throughput runs (default ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--latency-jobs", defaultValue = "1000", description = "Single-task jobs of the latency run (default ${DEFAULT-VALUE}).")
    int latencyJobs;

    @Option(names = "--latency-rate", defaultValue = "100", description = "Jobs per second of the latency run (default ${DEFAULT-VALUE}).")
    int latencyRate;

    @Option(names = "--processes", defaultValue = "0",
            description = "Run the coordinator and this many executors as separate JVMs, as they are deployed (default 0: all in this JVM).")
    int processes;

    @Option(names = "--peers", description = "Instead: the same no-op workload of --tasks through db-scheduler and JobRunr (16 workers each), "
            + "then Fanout, on the same PostgreSQL, with the ratios.")
    boolean peers;

    @Option(names = "--apply-connections", defaultValue = "" + CoordinatorConfig.DEFAULT_APPLY_CONNECTIONS,
            description = "The coordinator's connections that apply a large batch at once (default ${DEFAULT-VALUE}).")
    int applyConnections;

    @Option(names = "--slice-size", defaultValue = "" + CoordinatorConfig.DEFAULT_SLICE_SIZE,
            description = "The most mapped tasks the coordinator sends in one task record (default ${DEFAULT-VALUE}; 1: a record per task).")
    int sliceSize;

    @Option(names = "--scaling", description = "Instead: throughput with 1, 2 and 4 executor processes (no-op tasks, and tasks that wait).")
    boolean scaling;

    @Option(names = "--workflows", description = "Instead: --runs concurrent runs of a five-node workflow, then one run of a graph of "
            + "--layers layers of 10 nodes (every node one no-op task).")
    boolean workflows;

    @Option(names = "--commands", description = "Instead: how long cancel, suspend, resume, dead-letter replay and park take through the REST API, POST to answer "
            + "(--runs of each).")
    boolean commands;

    @Option(names = "--runs", defaultValue = "1000", description = "With --workflows: concurrent runs; with --commands: commands of each kind "
            + "(default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--layers", defaultValue = "20", description = "With --workflows: layers of the large graph (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--bootstrap-servers", description = "A Kafka cluster to measure on (default: an embedded broker).")
    String bootstrapServers;

    @Option(names = "--jdbc-url", description = "A PostgreSQL to measure on, e.g. jdbc:postgresql://localhost:5432/fanout "
            + "(default: an embedded one; password from env FANOUT_DB_PASSWORD).")
    String jdbcUrl;

    @Option(names = "--db-user", defaultValue = "${env:FANOUT_DB_USER:-fanout}", description = "Database user with --jdbc-url (env FANOUT_DB_USER).")
    String dbUser;

    @Override
    public Integer call() throws Exception {
        if (tasks < 1 || latencyJobs < 1 || latencyRate < 1 || processes < 0) {
            throw new IllegalArgumentException("--tasks, --latency-jobs and --latency-rate must be positive, --processes zero or more");
        }
        try (BenchSite site = BenchSite.open(bootstrapServers, jdbcUrl, dbUser, System.getenv("FANOUT_DB_PASSWORD"))) {
            Benchmark fanout = new Benchmark(tasks, latencyJobs, latencyRate, processes, applyConnections, sliceSize);
            if (commands) {
                new CommandLatencyBenchmark(runs).run(System.out, site);
            } else if (workflows) {
                new WorkflowBenchmark(runs, layers, 10).run(System.out, site);
            } else if (scaling) {
                new ScalingBenchmark(Math.min(tasks, 200_000), 8_000, 20, 8).run(System.out, site, 1, 2, 4);
            } else if (peers) {
                new PeerComparison(fanout, tasks).run(System.out, site);
            } else {
                fanout.run(System.out, site);
            }
        }
        return 0;
    }
}
