package io.fanout.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.embedded.EmbeddedDatabase;
import io.fanout.embedded.EmbeddedKafka;
import io.fanout.examples.NoOp;
import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.PoolStatus;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.LoggerFactory;

/**
 * Throughput with 1, 2 and 4 executor processes (real JVMs, started with {@code fanout executor}),
 * one embedded broker, one PostgreSQL and one coordinator: a job of no-op subtasks (Fanout's own
 * overhead) and a job of subtasks that each wait a fixed time (work bound by waiting, like remote
 * calls), so adding executors adds slots.
 */
public final class ScalingBenchmark {

    private static final int TASK_PARTITIONS = TopicLayout.DEFAULT_TASK_PARTITIONS;

    private final int noopTasks;
    private final int waitTasks;
    private final int waitMs;
    private final int concurrency;

    public ScalingBenchmark(int noopTasks, int waitTasks, int waitMs, int concurrency) {
        this.noopTasks = noopTasks;
        this.waitTasks = waitTasks;
        this.waitMs = waitMs;
        this.concurrency = concurrency;
    }

    public void run(PrintStream out, int... executorCounts) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
        out.printf("machine: %d cores; executors: separate JVMs with --concurrency %d; %d task partitions%n", Runtime.getRuntime().availableProcessors(),
                concurrency, TASK_PARTITIONS);
        out.printf("%-10s %-28s %-28s%n", "executors", noopTasks + " no-op tasks", waitTasks + " tasks waiting " + waitMs + " ms");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(); EmbeddedDatabase db = EmbeddedDatabase.start()) {
            for (int n : executorCounts) {
                TopicNames topics = new TopicNames("scale" + n + ".");
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                    new TopicProvisioner(admin).apply(new TopicLayout(topics, TopicLayout.DEFAULT_COORDINATOR_PARTITIONS, TASK_PARTITIONS));
                }
                List<Process> executors = new ArrayList<>();
                try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(kafka.bootstrapServers()).topics(topics)
                        .database(db.jdbcUrl(), db.user(), null).build());
                     FanoutClient client = FanoutClient.connect(kafka.bootstrapServers(), topics);
                     Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                    for (int i = 0; i < n; i++) {
                        executors.add(startExecutor(kafka.bootstrapServers(), topics, "scale-" + n + "-" + i));
                    }
                    awaitMembers(admin, topics, n);
                    run(client, noopTasks / 10, 0); // warm-up
                    double noop = run(client, noopTasks, 0);
                    double waiting = run(client, waitTasks, waitMs);
                    out.printf("%-10d %-28s %-28s%n", n, String.format("%,.0f tasks/s", noop), String.format("%,.0f tasks/s", waiting));
                } finally {
                    for (Process p : executors) {
                        p.destroy();
                    }
                    for (Process p : executors) {
                        p.waitFor(60, TimeUnit.SECONDS);
                    }
                }
            }
        }
    }

    private static double run(FanoutClient client, int tasks, int sleepMs) throws Exception {
        long start = System.nanoTime();
        UUID job = client.submit(JobRequests.builder(NoOp.NAME).params(new NoOp.Params(tasks, sleepMs)).build());
        JobEvent outcome = client.await(job, Duration.ofMinutes(30));
        if (outcome.type() != JobEvent.Type.SUCCEEDED) {
            throw new IllegalStateException("benchmark job did not succeed: " + outcome);
        }
        return tasks / ((System.nanoTime() - start) / 1e9);
    }

    private Process startExecutor(String bootstrap, TopicNames topics, String id) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), "io.fanout.cli.FanoutCli", "executor",
                "--bootstrap-servers", bootstrap, "--topic-prefix", topics.prefix(), "--executor-id", id, "--concurrency", Integer.toString(concurrency),
                "--processor", NoOp.NAME + "=" + NoOp.class.getName())
                .redirectErrorStream(true).redirectOutput(new File(System.getProperty("java.io.tmpdir"), "fanout-" + id + ".log")).start();
    }

    private static void awaitMembers(Admin admin, TopicNames topics, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            List<PoolStatus> pools = PoolStatus.readAll(admin, topics, io.fanout.executor.ExecutorConfig.DEFAULT_GROUP_ID);
            if (pools.stream().anyMatch(p -> p.pool().equals(Pools.DEFAULT) && p.members().size() == n)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(n + " executors did not join within 2 minutes");
    }
}
