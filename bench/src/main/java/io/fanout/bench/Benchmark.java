package io.fanout.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
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
 * One command, on one broker and one database (embedded, or the user's): (1) the raw Kafka round
 * trip rate, (2) the rate of a Fanout job of N no-op subtasks through a coordinator, two executors
 * and PostgreSQL, and their ratio; (3) submit-to-done latency of single-task jobs at a fixed rate;
 * (4) the job of (2) again, with executors on the share-group task source; (5) a job of short
 * tasks on one small executor of each source. With {@code processes} executors, (2) and (3) run on
 * a coordinator and that many executors as separate JVMs instead, and (4) and (5) are left out. Every task of (2) is checked to have run exactly once. Each throughput run is
 * preceded by a warm-up run of a tenth of its size.
 */
public final class Benchmark {

    private static final int TASK_PARTITIONS = TopicLayout.DEFAULT_TASK_PARTITIONS;
    private static final int COORDINATOR_PARTITIONS = TopicLayout.DEFAULT_COORDINATOR_PARTITIONS;
    private static final int PROCESS_CONCURRENCY = 8;
    private static final int SHORT_TASKS = 2000;
    private static final int SHORT_TASK_MS = 10;
    private static final int SHORT_TASK_SLOTS = 4;

    private final int tasks;
    private final int latencyJobs;
    private final int latencyRate;
    private final int processes;
    private final int applyConnections;
    private final int sliceSize;

    /**
     * @param processes executor processes for (2) and (3), with a coordinator process (0: everything in this JVM)
     * @param applyConnections the coordinator's connections that apply a large batch at once
     * @param sliceSize the most mapped tasks the coordinator sends in one task record
     */
    public Benchmark(int tasks, int latencyJobs, int latencyRate, int processes, int applyConnections, int sliceSize) {
        this.tasks = tasks;
        this.latencyJobs = latencyJobs;
        this.latencyRate = latencyRate;
        this.processes = processes;
        this.applyConnections = applyConnections;
        this.sliceSize = sliceSize;
    }

    public void run(PrintStream out, BenchSite site) throws Exception {
        header(out, site);
        RawKafkaRoundTrip raw = new RawKafkaRoundTrip(site.bootstrapServers(), TASK_PARTITIONS, COORDINATOR_PARTITIONS, 2);
        raw.run(Math.max(1000, tasks / 10));
        double rawRate = tasks / seconds(raw.run(tasks));
        out.printf("raw Kafka round trip:  %,d records in, %,d statuses out: %,.0f records/s%n", tasks, tasks, rawRate);
        long[] hops = raw.hopLatencies(500, latencyRate);
        out.printf("raw Kafka single hop:  produce (acks=all) to consume at %d/s: p50 %.1f ms, p99 %.1f ms%n", latencyRate,
                percentile(hops, 50), percentile(hops, 99));
        fanout(out, site, rawRate, true);
    }

    /** The Fanout job of N no-op subtasks alone, checked for exactly-once execution; returns its rate in tasks/s. */
    public double throughputOnly(PrintStream out, BenchSite site) throws Exception {
        header(out, site);
        return fanout(out, site, 0, false);
    }

    private static void header(PrintStream out, BenchSite site) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
        out.printf("machine: %d cores, %s %s, max heap %d MB%n", Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20);
        out.printf("%s; %s%n", site.describeBroker(), site.describeDatabase());
    }

    /** (2), then with {@code full} (3) and, in this JVM, (4); {@code rawRate} 0 when not measured. Returns the rate of (2). */
    private double fanout(PrintStream out, BenchSite site, double rawRate, boolean full) throws Exception {
        String bootstrap = site.bootstrapServers();
        TopicNames topics = new TopicNames("bench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(new TopicLayout(topics, COORDINATOR_PARTITIONS, TASK_PARTITIONS));
        }
        if (processes > 0) {
            try (BenchProcesses cluster = new BenchProcesses(bootstrap, topics); FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
                cluster.startCoordinator(site.jdbcUrl(), site.user(), site.password(), applyConnections, sliceSize);
                for (int i = 0; i < processes; i++) {
                    cluster.startExecutor("bench-executor-" + i, PROCESS_CONCURRENCY);
                }
                cluster.awaitExecutors();
                out.printf("processes: one coordinator (--apply-connections %d, --slice-size %d) and %d executors (--concurrency %d), each a JVM "
                        + "of its own (logs and GC logs: %s/fanout-bench-*.log)%n", applyConnections, sliceSize, processes, PROCESS_CONCURRENCY, System.getProperty("java.io.tmpdir"));
                double rate = throughput(out, site, client, topics, rawRate);
                if (full) {
                    latency(out, site, client);
                }
                cluster.checkAlive();
                return rate;
            }
        }
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                .database(site.jdbcUrl(), site.user(), site.password()).applyConnections(applyConnections).sliceSize(sliceSize).build());
             FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
            out.printf("in one JVM: a coordinator (apply connections %d, slice size %d) and two executors%n", applyConnections, sliceSize);
            double fanoutRate;
            try (FanoutExecutor e1 = executor(bootstrap, topics, 1, ExecutorConfig.TaskSource.GROUP);
                 FanoutExecutor e2 = executor(bootstrap, topics, 2, ExecutorConfig.TaskSource.GROUP)) {
                PoolMembers.await(bootstrap, topics, 2, () -> { });
                fanoutRate = throughput(out, site, client, topics, rawRate);
                if (!full) {
                    return fanoutRate;
                }
                latency(out, site, client);
            }
            double groupShort = shortTasks(client, bootstrap, topics, 5, ExecutorConfig.TaskSource.GROUP);
            try (FanoutExecutor e1 = executor(bootstrap, topics, 3, ExecutorConfig.TaskSource.SHARE);
                 FanoutExecutor e2 = executor(bootstrap, topics, 4, ExecutorConfig.TaskSource.SHARE)) {
                fanoutJob(client, Math.max(1000, tasks / 10));
                double shareRate = tasks / seconds(fanoutJob(client, tasks));
                out.printf("Fanout job, share-group task source (two executors): %,.0f tasks/s, %.2f of the consumer-group source%n", shareRate,
                        shareRate / fanoutRate);
            }
            double shareShort = shortTasks(client, bootstrap, topics, 6, ExecutorConfig.TaskSource.SHARE);
            out.printf("%,d tasks of %d ms on one executor of %d slots (ideal %,d tasks/s): consumer group %,.0f tasks/s, share group %,.0f "
                    + "tasks/s (%.2f)%n", SHORT_TASKS, SHORT_TASK_MS, SHORT_TASK_SLOTS, SHORT_TASK_SLOTS * 1000 / SHORT_TASK_MS, groupShort, shareShort,
                    shareShort / groupShort);
            return fanoutRate;
        }
    }

    /** (2) on the coordinator and executors running now, after a warm-up job; returns its rate. */
    private double throughput(PrintStream out, BenchSite site, FanoutClient client, TopicNames topics, double rawRate) throws Exception {
        fanoutJob(client, Math.max(1000, tasks / 10));
        site.analyze(); // the statistics of a live system's tables; a first job on new ones runs on the planner's guesses
        long walBefore = site.walBytes();
        BenchSite.TaskTableWrites writesBefore = site.taskTableWrites();
        long start = System.nanoTime();
        UUID job = submitJob(client, tasks);
        awaitJob(client, job, tasks);
        double fanoutRate = tasks / seconds(System.nanoTime() - start);
        long walAfter = site.walBytes();
        out.printf("Fanout job:            %,d no-op subtasks, submit to SUCCEEDED: %,.0f tasks/s (tables analyzed after a warm-up job)%n", tasks,
                fanoutRate);
        if (walBefore >= 0 && walAfter >= walBefore) {
            out.printf("                       PostgreSQL wrote %,d bytes of WAL per task meanwhile (pg_stat_wal, the whole server)%n",
                    (walAfter - walBefore) / tasks);
        }
        if (rawRate > 0) {
            out.printf("ratio Fanout / raw:    %.2f%n", fanoutRate / rawRate);
        }
        long repeated = ExecutionTally.checkExactlyOnce(site.bootstrapServers(), topics.status(), job, tasks + 1L);
        out.printf("                       each of its %,d tasks ran exactly once (%s)%n", tasks + 1, repeated == 0
                ? "one finished report each on the status topic" : String.format("one run each; %,d finished reports reached the status topic twice", repeated));
        BenchSite.TaskTableWrites writesAfter = site.taskTableWrites(); // after the check above: the last second's writes are counted by now
        if (writesBefore != null && writesAfter != null) {
            BenchSite.TaskTableWrites w = writesAfter.since(writesBefore);
            out.printf("                       the task table took %,d inserts and %,d updates, %.0f %% of them HOT (pg_stat_user_tables)%n",
                    w.inserted(), w.updated(), w.updated() == 0 ? 0.0 : 100.0 * w.hot() / w.updated());
        }
        return fanoutRate;
    }

    /** (3) on the coordinator and executors running now. */
    private void latency(PrintStream out, BenchSite site, FanoutClient client) throws Exception {
        latencies(client, Math.max(100, latencyJobs / 5)); // warm-up
        site.analyze();
        List<LatencyBreakdown.Seen> seen = latencies(client, latencyJobs);
        long[] latencies = seen.stream().mapToLong(LatencyBreakdown.Seen::nanos).sorted().toArray();
        out.printf("single-task jobs:      %,d at %d/s, submit to SUCCEEDED: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", latencyJobs,
                latencyRate, percentile(latencies, 50), percentile(latencies, 99), latencies[latencies.length - 1] / 1e6);
        out.println("  (the job and task tables analyzed after the warm-up, as autovacuum does on a live system within a minute or two)");
        out.println("  where the time goes (median per stage, from the client's clock and the stored timestamps):");
        LatencyBreakdown.print(site.jdbcUrl(), site.user(), site.password(), seen, out);
    }

    private static FanoutExecutor executor(String bootstrap, TopicNames topics, int i, ExecutorConfig.TaskSource source) {
        return executor(bootstrap, topics, i, source, ExecutorConfig.DEFAULT_CONCURRENCY);
    }

    private static FanoutExecutor executor(String bootstrap, TopicNames topics, int i, ExecutorConfig.TaskSource source, int concurrency) {
        return FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics).executorId("bench-executor-" + i)
                .taskSource(source).concurrency(concurrency).processor(NoOp.NAME, new NoOp()).build());
    }

    /**
     * (5) short tasks on one small executor, the only one of its source: whether the source keeps
     * the executor's slots busy (a wait per task shows here, where no-op throughput hides it).
     */
    private static double shortTasks(FanoutClient client, String bootstrap, TopicNames topics, int i, ExecutorConfig.TaskSource source)
            throws Exception {
        try (FanoutExecutor e = executor(bootstrap, topics, i, source, SHORT_TASK_SLOTS)) {
            fanoutJob(client, SHORT_TASKS / 10, SHORT_TASK_MS);
            return SHORT_TASKS / seconds(fanoutJob(client, SHORT_TASKS, SHORT_TASK_MS));
        }
    }

    /** Returns the elapsed nanoseconds from submit to the SUCCEEDED event. */
    private static long fanoutJob(FanoutClient client, int n) throws Exception {
        return fanoutJob(client, n, 0);
    }

    /** The same, for subtasks that each wait {@code sleepMs}. */
    private static long fanoutJob(FanoutClient client, int n, int sleepMs) throws Exception {
        long start = System.nanoTime();
        awaitJob(client, client.submit(JobRequests.builder(NoOp.NAME).params(new NoOp.Params(n, sleepMs)).build()), n);
        return System.nanoTime() - start;
    }

    private static UUID submitJob(FanoutClient client, int n) throws Exception {
        return client.submit(JobRequests.builder(NoOp.NAME).params(new NoOp.Params(n)).build());
    }

    private static void awaitJob(FanoutClient client, UUID job, int n) throws Exception {
        JobEvent outcome = client.await(job, Duration.ofMinutes(30));
        if (outcome.type() != JobEvent.Type.SUCCEEDED || outcome.tasks().succeeded() != n + 1) {
            throw new IllegalStateException("benchmark job did not succeed with every task: " + outcome);
        }
    }

    /**
     * Submits {@code jobs} single-task jobs at the latency rate and waits for each; returns each
     * job's submit and outcome times as the client saw them.
     */
    private List<LatencyBreakdown.Seen> latencies(FanoutClient client, int jobs) throws Exception {
        long interval = 1_000_000_000L / latencyRate;
        List<Future<LatencyBreakdown.Seen>> results = new ArrayList<>();
        try (ExecutorService waiters = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            for (int i = 0; i < jobs; i++) {
                long due = start + i * interval;
                LockSupport.parkNanos(due - System.nanoTime());
                results.add(waiters.submit(() -> {
                    long t0 = System.nanoTime();
                    long submittedAt = System.currentTimeMillis();
                    UUID job = client.submit(JobRequests.builder(NoOp.NAME).build());
                    JobEvent outcome = client.await(job, Duration.ofMinutes(1));
                    long nanos = System.nanoTime() - t0;
                    if (outcome.type() != JobEvent.Type.SUCCEEDED) {
                        throw new IllegalStateException("latency job failed: " + outcome);
                    }
                    return new LatencyBreakdown.Seen(job, submittedAt, System.currentTimeMillis(), nanos);
                }));
            }
            List<LatencyBreakdown.Seen> seen = new ArrayList<>(jobs);
            for (Future<LatencyBreakdown.Seen> r : results) {
                seen.add(r.get());
            }
            return seen;
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
