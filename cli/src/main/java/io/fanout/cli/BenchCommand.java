package io.fanout.cli;

import io.fanout.bench.Benchmark;
import io.fanout.bench.ScalingBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = {
        "Measures, on one embedded broker and database: the raw Kafka round trip, a Fanout job of N no-op subtasks",
        "(coordinator, two executors, PostgreSQL), and the submit-to-done latency of single-task jobs at a fixed rate."})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--tasks", defaultValue = "1000000", description = "N, the records / subtasks of the throughput runs (default ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--latency-jobs", defaultValue = "1000", description = "Single-task jobs of the latency run (default ${DEFAULT-VALUE}).")
    int latencyJobs;

    @Option(names = "--latency-rate", defaultValue = "100", description = "Jobs per second of the latency run (default ${DEFAULT-VALUE}).")
    int latencyRate;

    @Option(names = "--scaling", description = "Instead: throughput with 1, 2 and 4 executor processes (no-op tasks, and tasks that wait).")
    boolean scaling;

    @Override
    public Integer call() throws Exception {
        if (scaling) {
            new ScalingBenchmark(Math.min(tasks, 200_000), 8_000, 20, 8).run(System.out, 1, 2, 4);
            return 0;
        }
        new Benchmark(tasks, latencyJobs, latencyRate).run(System.out);
        return 0;
    }
}
