package io.fanout.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.embedded.EmbeddedDatabase;
import io.fanout.embedded.EmbeddedKafka;
import io.fanout.examples.NoOp;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.LoggerFactory;

/**
 * One command, three figures, one broker and one database: (1) the raw Kafka round trip rate,
 * (2) the rate of a Fanout job of N no-op subtasks through a coordinator, two executors and
 * PostgreSQL, and their ratio; (3) submit-to-done latency of single-task jobs at a fixed rate;
 * (4) the job of (2) again, with executors on the share-group task source. Each throughput run is
 * preceded by a warm-up run of a tenth of its size.
 */
public final class Benchmark {

    private static final int TASK_PARTITIONS = TopicLayout.DEFAULT_TASK_PARTITIONS;
    private static final int COORDINATOR_PARTITIONS = TopicLayout.DEFAULT_COORDINATOR_PARTITIONS;

    private final int tasks;
    private final int latencyJobs;
    private final int latencyRate;

    public Benchmark(int tasks, int latencyJobs, int latencyRate) {
        this.tasks = tasks;
        this.latencyJobs = latencyJobs;
        this.latencyRate = latencyRate;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        new Benchmark(n, 1000, 100).run(System.out);
    }

    public void run(PrintStream out) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
        out.printf("machine: %d cores, %s %s, max heap %d MB%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedDatabase db = EmbeddedDatabase.start()) {
            String bootstrap = kafka.bootstrapServers();

            RawKafkaRoundTrip raw = new RawKafkaRoundTrip(bootstrap, TASK_PARTITIONS, COORDINATOR_PARTITIONS, 2);
            raw.run(Math.max(1000, tasks / 10));
            double rawRate = tasks / seconds(raw.run(tasks));
            out.printf("raw Kafka round trip:  %,d records in, %,d statuses out: %,.0f records/s%n", tasks, tasks, rawRate);
            long[] hops = raw.hopLatencies(500, latencyRate);
            out.printf("raw Kafka single hop:  produce (acks=all) to consume at %d/s: p50 %.1f ms, p99 %.1f ms%n", latencyRate,
                    percentile(hops, 50), percentile(hops, 99));

            TopicNames topics = new TopicNames("bench.");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                new TopicProvisioner(admin).apply(new TopicLayout(topics, COORDINATOR_PARTITIONS, TASK_PARTITIONS));
            }
            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                    .database(db.jdbcUrl(), db.user(), null).build());
                 FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                double fanoutRate;
                try (FanoutExecutor e1 = executor(bootstrap, topics, 1, ExecutorConfig.TaskSource.GROUP);
                     FanoutExecutor e2 = executor(bootstrap, topics, 2, ExecutorConfig.TaskSource.GROUP)) {
                    fanoutJob(client, Math.max(1000, tasks / 10));
                    fanoutRate = tasks / seconds(fanoutJob(client, tasks));
                    out.printf("Fanout job:            %,d no-op subtasks, submit to SUCCEEDED: %,.0f tasks/s%n", tasks, fanoutRate);
                    out.printf("ratio Fanout / raw:    %.2f%n", fanoutRate / rawRate);

                    latencies(client, Math.max(100, latencyJobs / 5)); // warm-up
                    long[] latencies = latencies(client, latencyJobs);
                    out.printf("single-task jobs:      %,d at %d/s, submit to SUCCEEDED: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", latencyJobs,
                            latencyRate, percentile(latencies, 50), percentile(latencies, 99), latencies[latencies.length - 1] / 1e6);
                    out.println("  where the time goes (median per stage, from the stored timestamps):");
                    LatencyBreakdown.print(db.jdbcUrl(), db.user(), out);
                }
                try (FanoutExecutor e1 = executor(bootstrap, topics, 3, ExecutorConfig.TaskSource.SHARE);
                     FanoutExecutor e2 = executor(bootstrap, topics, 4, ExecutorConfig.TaskSource.SHARE)) {
                    fanoutJob(client, Math.max(1000, tasks / 10));
                    double shareRate = tasks / seconds(fanoutJob(client, tasks));
                    out.printf("Fanout job, share-group task source (two executors): %,.0f tasks/s, %.2f of the consumer-group source%n", shareRate,
                            shareRate / fanoutRate);
                }
            }
        }
    }

    private static FanoutExecutor executor(String bootstrap, TopicNames topics, int i, ExecutorConfig.TaskSource source) {
        return FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics).executorId("bench-executor-" + i)
                .taskSource(source).processor(NoOp.NAME, new NoOp()).build());
    }

    /** Returns the elapsed nanoseconds from submit to the SUCCEEDED event. */
    private static long fanoutJob(FanoutClient client, int n) throws Exception {
        long start = System.nanoTime();
        UUID job = client.submit(JobRequests.builder(NoOp.NAME).params(new NoOp.Params(n)).build());
        JobEvent outcome = client.await(job, Duration.ofMinutes(30));
        if (outcome.type() != JobEvent.Type.SUCCEEDED || outcome.tasks().succeeded() != n + 1) {
            throw new IllegalStateException("benchmark job did not succeed with every task: " + outcome);
        }
        return System.nanoTime() - start;
    }

    private long[] latencies(FanoutClient client, int jobs) throws Exception {
        long interval = 1_000_000_000L / latencyRate;
        List<Future<Long>> results = new ArrayList<>();
        try (ExecutorService waiters = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            for (int i = 0; i < jobs; i++) {
                long due = start + i * interval;
                LockSupport.parkNanos(due - System.nanoTime());
                results.add(waiters.submit(() -> {
                    long t0 = System.nanoTime();
                    UUID job = client.submit(JobRequests.builder(NoOp.NAME).build());
                    JobEvent outcome = client.await(job, Duration.ofMinutes(1));
                    if (outcome.type() != JobEvent.Type.SUCCEEDED) {
                        throw new IllegalStateException("latency job failed: " + outcome);
                    }
                    return System.nanoTime() - t0;
                }));
            }
            long[] l = new long[jobs];
            for (int i = 0; i < l.length; i++) {
                l[i] = results.get(i).get();
            }
            Arrays.sort(l);
            return l;
        }
    }

    static double percentile(long[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, i)] / 1e6;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
