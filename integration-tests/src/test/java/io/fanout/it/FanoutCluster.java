package io.fanout.it;

import io.fanout.client.FanoutClient;
import io.fanout.console.DeadLetters;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.executor.ExecutorConfig;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.Processor;
import io.fanout.shared.TopicNames;
import io.fanout.topics.TopicLayout;
import io.fanout.topics.TopicProvisioner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;

/**
 * A Fanout installation for one test: its own topics (unique prefix) on the shared broker, its own
 * database on the shared PostgreSQL, a coordinator, and whatever executors the test starts.
 */
final class FanoutCluster implements AutoCloseable {

    final TopicNames topics = new TopicNames("it-" + UUID.randomUUID().toString().substring(0, 8) + ".");
    final String bootstrap;
    final String jdbcUrl = SharedInfrastructure.newDatabase();
    final TopicLayout layout;
    private final List<FanoutExecutor> executors = new ArrayList<>();
    private final List<Coordinator> extraCoordinators = new ArrayList<>();
    private final CoordinatorConfig coordinatorConfig;
    private Coordinator coordinator;
    private FanoutClient client;

    FanoutCluster(int taskPartitions, Set<String> knownProcessors) {
        this(taskPartitions, knownProcessors, Map.of());
    }

    /** @param pools executor pools besides the default one, with their task partition counts */
    FanoutCluster(int taskPartitions, Set<String> knownProcessors, Map<String, Integer> pools) {
        this(taskPartitions, knownProcessors, pools, b -> { });
    }

    /** A cluster whose coordinator's settings the test adjusts (clock, sweeper, liveness). */
    FanoutCluster(int taskPartitions, Consumer<CoordinatorConfig.Builder> customize) {
        this(taskPartitions, Set.of(), Map.of(), customize);
    }

    /** A cluster with pools besides the default one whose coordinator's settings the test adjusts. */
    FanoutCluster(int taskPartitions, Set<String> knownProcessors, Map<String, Integer> pools, Consumer<CoordinatorConfig.Builder> customize) {
        this(SharedInfrastructure.bootstrapServers(), taskPartitions, knownProcessors, pools, customize);
    }

    /** A cluster on a broker of the test's own (not the shared one). */
    static FanoutCluster on(String bootstrap, int taskPartitions) {
        return new FanoutCluster(bootstrap, taskPartitions, Set.of(), Map.of(), b -> { });
    }

    private FanoutCluster(String bootstrap, int taskPartitions, Set<String> knownProcessors, Map<String, Integer> pools,
                          Consumer<CoordinatorConfig.Builder> customize) {
        this.bootstrap = bootstrap;
        this.layout = new TopicLayout(topics, 2, taskPartitions, pools);
        try (Admin admin = admin()) {
            new TopicProvisioner(admin).apply(layout);
        }
        CoordinatorConfig.Builder b = coordinatorBuilder().knownProcessors(knownProcessors).pools(layout.pools().keySet());
        customize.accept(b);
        this.coordinatorConfig = b.build();
        this.coordinator = Coordinator.start(coordinatorConfig);
    }

    private CoordinatorConfig.Builder coordinatorBuilder() {
        return CoordinatorConfig.builder()
                .bootstrapServers(bootstrap)
                .topics(topics)
                .groupId(topics.prefix() + "coordinators")
                .executorGroup(topics.prefix() + "executors")
                .database(jdbcUrl, SharedInfrastructure.dbUser(), null);
    }

    /** Another coordinator of the same installation (same topics, group and database). */
    Coordinator startCoordinator(Consumer<CoordinatorConfig.Builder> customize) {
        CoordinatorConfig.Builder b = coordinatorBuilder().pools(layout.pools().keySet());
        customize.accept(b);
        Coordinator c = Coordinator.start(b.build());
        extraCoordinators.add(c);
        return c;
    }

    Coordinator coordinator() {
        return coordinator;
    }


    FanoutCluster() {
        this(4, Set.of());
    }

    /** Stops the coordinator and starts a new one on the same topics and database, as after a crash or deploy. */
    void restartCoordinator() throws InterruptedException {
        coordinator.close();
        coordinator = Coordinator.start(coordinatorConfig);
    }

    Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrap));
    }

    FanoutExecutor startExecutor(Map<String, ? extends Processor> processors) {
        return startExecutor(processors, b -> { });
    }

    FanoutExecutor startExecutor(Map<String, ? extends Processor> processors, Consumer<ExecutorConfig.Builder> customize) {
        ExecutorConfig.Builder b = ExecutorConfig.builder()
                .bootstrapServers(bootstrap)
                .topics(topics)
                .groupId(executorGroup())
                .processors(processors);
        customize.accept(b);
        FanoutExecutor e = FanoutExecutor.start(b.build());
        executors.add(e);
        return e;
    }

    String executorGroup() {
        return topics.prefix() + "executors";
    }

    synchronized FanoutClient client() {
        if (client == null) {
            client = FanoutClient.connect(bootstrap, topics);
        }
        return client;
    }

    DataSource db() {
        return coordinator.dataSource();
    }

    /** The installation's dead letters as a person reaches them: read from PostgreSQL, replayed and parked by commands. */
    DeadLetters deadLetters() {
        return new DeadLetters(db(), client(), Duration.ofSeconds(30));
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        for (FanoutExecutor e : executors) {
            e.close();
        }
        for (Coordinator c : extraCoordinators) {
            c.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }
}
