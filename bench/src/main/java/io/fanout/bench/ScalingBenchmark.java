package io.fanout.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.examples.NoOp;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
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

    public void run(PrintStream out, BenchSite site, int... executorCounts) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
        out.printf("machine: %d cores; executors: separate JVMs with --concurrency %d; %d task partitions%n", Runtime.getRuntime().availableProcessors(),
                concurrency, TASK_PARTITIONS);
        out.printf("%s; %s%n", site.describeBroker(), site.describeDatabase());
        out.printf("%-10s %-28s %-28s%n", "executors", noopTasks + " no-op tasks", waitTasks + " tasks waiting " + waitMs + " ms");
        String bootstrap = site.bootstrapServers();
        for (int n : executorCounts) {
            TopicNames topics = new TopicNames("scale" + n + "-" + UUID.randomUUID().toString().substring(0, 8) + ".");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                new TopicProvisioner(admin).apply(new TopicLayout(topics, TopicLayout.DEFAULT_COORDINATOR_PARTITIONS, TASK_PARTITIONS));
            }
            try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                    .database(site.jdbcUrl(), site.user(), site.password()).build());
                 FanoutClient client = FanoutClient.connect(bootstrap, topics);
                 BenchProcesses executors = new BenchProcesses(bootstrap, topics)) {
                for (int i = 0; i < n; i++) {
                    executors.startExecutor("scale-" + n + "-" + i, concurrency);
                }
                executors.awaitExecutors();
                run(client, noopTasks / 10, 0); // warm-up
                double noop = run(client, noopTasks, 0);
                double waiting = run(client, waitTasks, waitMs);
                out.printf("%-10d %-28s %-28s%n", n, String.format("%,.0f tasks/s", noop), String.format("%,.0f tasks/s", waiting));
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
}
