package io.fanout.cli;

import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.shared.Pools;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "coordinator", mixinStandardHelpOptions = true, description = "Runs a coordinator until stopped (SIGTERM or Ctrl-C).")
final class CoordinatorCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--group-id", defaultValue = "${env:FANOUT_COORDINATOR_GROUP:-" + CoordinatorConfig.DEFAULT_GROUP_ID + "}",
            description = "Consumer group of the coordinators (default ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--processors", split = ",", description = "Processors that exist; requests naming another are rejected. Default: any.")
    List<String> processors = List.of();

    @Option(names = "--pools", split = ",", defaultValue = "${env:FANOUT_POOLS:-" + Pools.DEFAULT + "}",
            description = "Executor pools that exist (their task topics must be provisioned); requests naming another are rejected. "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> pools;

    @Override
    public Integer call() throws Exception {
        CoordinatorConfig config = CoordinatorConfig.builder()
                .kafka(kafka.kafka())
                .topics(kafka.topics())
                .groupId(groupId)
                .database(db.jdbcUrl, db.user, db.password())
                .knownProcessors(new LinkedHashSet<>(processors))
                .pools(new LinkedHashSet<>(pools))
                .build();
        Coordinator coordinator = Coordinator.start(config);
        runUntilStopped(coordinator);
        return 0;
    }

    /** Blocks until the JVM is asked to stop, then closes {@code resource} gracefully before it exits. */
    static void runUntilStopped(AutoCloseable resource) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("fanout: error while stopping: " + e.getMessage());
            } finally {
                done.countDown();
            }
            try {
                main.join(5000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "fanout-shutdown"));
        done.await();
    }
}
