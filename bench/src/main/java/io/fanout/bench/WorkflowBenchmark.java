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
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.LoggerFactory;

/**
 * Workflows at scale, in one JVM (a coordinator and two executors of the no-op processor): many
 * concurrent runs of a small graph, and one run of a graph of hundreds of nodes in layers. Every
 * node is a single no-op task, so the figures are the cost of walking graphs: starting nodes,
 * taking up their outcomes, ending runs.
 */
public final class WorkflowBenchmark {

    private final int runs;
    private final int layers;
    private final int width;

    /**
     * @param runs concurrent runs of the five-node graph
     * @param layers layers of the large graph, each node depending on every node of the layer before
     * @param width nodes per layer
     */
    public WorkflowBenchmark(int runs, int layers, int width) {
        this.runs = runs;
        this.layers = layers;
        this.width = width;
    }

    public void run(PrintStream out, BenchSite site) throws Exception {
        ((Logger) LoggerFactory.getLogger("io.fanout")).setLevel(Level.WARN);
        out.printf("machine: %d cores; %s; %s%n", Runtime.getRuntime().availableProcessors(), site.describeBroker(), site.describeDatabase());
        String bootstrap = site.bootstrapServers();
        TopicNames topics = new TopicNames("wfbench-" + UUID.randomUUID().toString().substring(0, 8) + ".");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).apply(TopicLayout.defaults(topics));
        }
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().bootstrapServers(bootstrap).topics(topics)
                .database(site.jdbcUrl(), site.user(), site.password()).build());
             FanoutExecutor e1 = executor(bootstrap, topics, 1);
             FanoutExecutor e2 = executor(bootstrap, topics, 2);
             FanoutClient client = FanoutClient.connect(bootstrap, topics)) {
            concurrentRuns(out, site, client, Math.max(10, runs / 10)); // warm-up
            out.printf("in one JVM: a coordinator and two executors (--concurrency 8); every node is one no-op task%n");
            concurrentRuns(out, site, client, runs);
            largeGraph(out, client);
        }
    }

    /** {@code n} runs of a → (b, c, d) → e, submitted at once. */
    private void concurrentRuns(PrintStream out, BenchSite site, FanoutClient client, int n) throws Exception {
        WorkflowDefinition diamond = Workflows.define("bench-fan-" + UUID.randomUUID().toString().substring(0, 8))
                .node("a", noop())
                .node("b", noop(), "a").node("c", noop(), "a").node("d", noop(), "a")
                .node("e", noop(), "b", "c", "d")
                .build();
        long start = System.nanoTime();
        List<UUID> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(client.run(Workflows.run(diamond, null)));
        }
        for (UUID id : ids) {
            check(client.await(id, Duration.ofMinutes(30)));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (n < runs) {
            return;
        }
        double[] took = runDurations(site, diamond.name());
        out.printf("%,d concurrent runs of 5 nodes (a -> b, c, d -> e): %.1f s, %,.0f runs/s, %,.0f nodes/s; a run took p50 %.0f ms, p99 %.0f ms%n",
                n, seconds, n / seconds, 5 * n / seconds, took[0], took[1]);
    }

    /** One run of {@code layers} layers of {@code width} nodes, each node after every node of the layer before. */
    private void largeGraph(PrintStream out, FanoutClient client) throws Exception {
        Workflows.Builder b = Workflows.define("bench-layers-" + UUID.randomUUID().toString().substring(0, 8));
        for (int l = 0; l < layers; l++) {
            for (int w = 0; w < width; w++) {
                String[] before = new String[l == 0 ? 0 : width];
                for (int p = 0; l > 0 && p < width; p++) {
                    before[p] = "n" + (l - 1) + "-" + p;
                }
                b.node("n" + l + "-" + w, noop(), before);
            }
        }
        WorkflowDefinition graph = b.build();
        long start = System.nanoTime();
        check(client.await(client.run(Workflows.run(graph, null)), Duration.ofMinutes(30)));
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf("one run of %d nodes (%d layers of %d, %,d edges): %.1f s, %.0f ms per layer%n", layers * width, layers, width,
                graph.edges().size(), seconds, seconds * 1000 / layers);
    }

    private static double[] runDurations(BenchSite site, String workflow) throws Exception {
        try (Connection c = DriverManager.getConnection(site.jdbcUrl(), site.user(), site.password()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d) "
                     + "FROM (SELECT extract(epoch FROM finished_at - created_at) * 1000 AS d FROM fanout_workflow_run WHERE workflow = '" + workflow
                     + "') x")) {
            rs.next();
            return new double[] {rs.getDouble(1), rs.getDouble(2)};
        }
    }

    private static void check(JobEvent outcome) {
        if (outcome.type() != JobEvent.Type.RUN_FINISHED || outcome.state() != JobState.SUCCEEDED) {
            throw new IllegalStateException("benchmark run did not succeed: " + outcome);
        }
    }

    private static io.fanout.shared.model.JobRequest noop() {
        return JobRequests.builder(NoOp.NAME).build();
    }

    private static FanoutExecutor executor(String bootstrap, TopicNames topics, int i) {
        return FanoutExecutor.start(ExecutorConfig.builder().bootstrapServers(bootstrap).topics(topics).executorId("wfbench-executor-" + i)
                .concurrency(8).processor(NoOp.NAME, new NoOp()).build());
    }
}
