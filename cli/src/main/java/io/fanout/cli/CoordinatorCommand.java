package io.fanout.cli;

import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.AlertPolicy;
import io.fanout.coordinator.RetentionPolicy;
import io.fanout.coordinator.SweeperPolicy;
import io.fanout.shared.Pools;
import io.fanout.shared.model.Webhooks;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
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

    @Option(names = "--coordinator-id", defaultValue = "${env:FANOUT_COORDINATOR_ID}",
            description = "This coordinator's name in logs, leases and the replay log (default: pid@host plus a random suffix).")
    String coordinatorId;

    @Option(names = "--task-lost-after", defaultValue = "PT30S",
            description = "A task whose executor has not reported it for this long is presumed lost and retried (default ${DEFAULT-VALUE}).")
    Duration taskLostAfter;

    @Option(names = "--sweeper-interval", defaultValue = "PT1M", description = "Time between dead-letter sweeps (default ${DEFAULT-VALUE}).")
    Duration sweeperInterval;

    @Option(names = "--sweeper-max-replays", defaultValue = "3",
            description = "Replays per dead letter before the sweeper parks it (default ${DEFAULT-VALUE}).")
    int sweeperMaxReplays;

    @Option(names = "--sweeper-min-age", defaultValue = "PT5M", description = "A dead letter is replayed once it is this old (default ${DEFAULT-VALUE}).")
    Duration sweeperMinAge;

    @Option(names = "--sweeper-errors", split = ",", description = "Error classes the sweeper replays (default: all).")
    List<String> sweeperErrors = List.of();

    @Option(names = "--sweeper-lease", defaultValue = "PT15S",
            description = "The leaders' lease (scheduler, retention, alerts; the sweeper runs in each partition's owner and needs none): a new "
                    + "leader takes over within it after the leader dies (default ${DEFAULT-VALUE}).")
    Duration sweeperLease;

    @Option(names = "--no-sweeper", description = "Never sweep from this coordinator (dead letters can still be replayed by hand).")
    boolean noSweeper;

    @Option(names = "--job-retention", defaultValue = "${env:FANOUT_JOB_RETENTION:-P7D}",
            description = "Finished jobs (with their tasks), workflow runs and rejected requests are deleted this long after they ended, "
                    + "unless a job sets ttlAfterFinishedMs; P0D keeps them (default ${DEFAULT-VALUE}).")
    Duration jobRetention;

    @Option(names = "--dead-letter-retention", defaultValue = "${env:FANOUT_DEAD_LETTER_RETENTION:-P30D}",
            description = "Dead letters are deleted this long after their last failure; P0D keeps them (default ${DEFAULT-VALUE}).")
    Duration deadLetterRetention;

    @Option(names = "--audit-retention", defaultValue = "${env:FANOUT_AUDIT_RETENTION:-P90D}",
            description = "Audit log entries are deleted this long after they were written; P0D keeps them (default ${DEFAULT-VALUE}).")
    Duration auditRetention;

    @Option(names = "--retention-interval", defaultValue = "PT1M", description = "Time between retention rounds (default ${DEFAULT-VALUE}).")
    Duration retentionInterval;

    @Option(names = "--alert-webhook", split = ",", defaultValue = "${env:FANOUT_ALERT_WEBHOOKS}",
            description = "Where alerts are POSTed (repeatable or comma-separated): failed jobs and workflow runs, jobs past their deadline, "
                    + "dead letters parked by the sweeper, stalled pools. Signed with the secret in FANOUT_ALERT_SECRET, if set.")
    List<String> alertWebhooks = List.of();

    @Option(names = "--alert-allowed-hosts", split = ",", defaultValue = "${env:FANOUT_ALERT_ALLOWED_HOSTS}",
            description = "Where a job's own alert webhooks may point, each [scheme://]host[:port] (no port: the scheme's default; IP literals only as "
                    + "written) (default: the scheme, host and port of each --alert-webhook); jobs and workflow nodes naming others are rejected.")
    List<String> alertAllowedHosts = List.of();

    @Option(names = "--alert-pool-stalled-after", defaultValue = "PT5M",
            description = "Alert when a pool has had tasks waiting and no live executor for this long (default ${DEFAULT-VALUE}).")
    Duration alertPoolStalledAfter;

    @Option(names = "--alert-interval", defaultValue = "PT10S", description = "How often alert conditions are looked for (default ${DEFAULT-VALUE}).")
    Duration alertInterval;

    @Option(names = "--executor-group", defaultValue = "${env:FANOUT_EXECUTOR_GROUP:-" + CoordinatorConfig.DEFAULT_EXECUTOR_GROUP + "}",
            description = "The executors' base consumer group, whose lag and members per pool are watched (metrics, stalled-pool alert; "
                    + "default ${DEFAULT-VALUE}).")
    String executorGroup;

    @Option(names = "--dispatch-window", defaultValue = "0",
            description = "Keep at most this many tasks in flight per pool and let the rest wait, dispatched by job priority (default 0: off).")
    int dispatchWindow;

    @Option(names = "--reconcile-interval", defaultValue = "PT10S",
            description = "How often effects of committed transactions that never reached Kafka are looked for and sent again (default ${DEFAULT-VALUE}).")
    Duration reconcileInterval;

    @Option(names = "--database-pool-size", defaultValue = "10", description = "Connections to PostgreSQL (default ${DEFAULT-VALUE}).")
    int databasePoolSize;

    @Option(names = "--apply-connections", defaultValue = "" + CoordinatorConfig.DEFAULT_APPLY_CONNECTIONS,
            description = "Connections that apply a large batch's task rows at once, each a transaction of its own (default ${DEFAULT-VALUE}; "
                    + "1: one transaction per batch).")
    int applyConnections;

    @Option(names = "--slice-size", defaultValue = "" + CoordinatorConfig.DEFAULT_SLICE_SIZE,
            description = "The most mapped tasks of one job that one task record carries (default ${DEFAULT-VALUE}; 1: a record per task, "
                    + "the only format executors built before slices read: see docs/operations.md on upgrading).")
    int sliceSize;

    @Mixin
    MetricsOptions metrics;

    @Override
    public Integer call() throws Exception {
        MeterRegistry meters = metrics.start();
        CoordinatorConfig config = CoordinatorConfig.builder()
                .kafka(kafka.kafka())
                .topics(kafka.topics())
                .groupId(groupId)
                .database(db.jdbcUrl, db.user, db.password())
                .knownProcessors(new LinkedHashSet<>(processors))
                .pools(new LinkedHashSet<>(pools))
                .coordinatorId(coordinatorId)
                .taskLostAfter(taskLostAfter)
                .sweeper(new SweeperPolicy(sweeperInterval, sweeperMaxReplays, sweeperMinAge, sweeperErrors, sweeperLease, !noSweeper))
                .retention(new RetentionPolicy(jobRetention, deadLetterRetention, auditRetention, retentionInterval,
                        RetentionPolicy.DEFAULT.batchSize(), sweeperLease))
                .alerts(new AlertPolicy(nonBlank(alertWebhooks).stream().map(Webhooks::check).toList(), Set.copyOf(nonBlank(alertAllowedHosts)),
                        System.getenv("FANOUT_ALERT_SECRET"),
                        alertPoolStalledAfter, alertInterval, AlertPolicy.DEFAULT.maxAttempts(), sweeperLease))
                .executorGroup(executorGroup)
                .dispatchWindow(dispatchWindow)
                .reconcileInterval(reconcileInterval)
                .databasePoolSize(databasePoolSize)
                .applyConnections(applyConnections)
                .sliceSize(sliceSize)
                .health(metrics.health())
                .meterRegistry(meters)
                .build();
        Coordinator coordinator = Coordinator.start(config);
        runUntilStopped(coordinator, metrics);
        return 0;
    }

    /**
     * Blocks until the JVM is asked to stop, then closes {@code resources} gracefully, in order, before it exits.
     * The JVM halts as soon as the hook returns. (The hook does not wait for the main thread: that one
     * returns into {@code System.exit}, which blocks for ever once shutdown has begun, so any wait for
     * it was all lost time, 5 s of every stop.)
     */
    static void runUntilStopped(AutoCloseable... resources) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                for (AutoCloseable resource : resources) {
                    resource.close();
                }
            } catch (Exception e) {
                System.err.println("fanout: error while stopping: " + ExitCodes.describe(e, null));
            } finally {
                done.countDown();
            }
        }, "fanout-shutdown"));
        done.await();
    }

    /** The entries of a comma-separated setting, without blanks (an environment variable set to "" means none). */
    private static List<String> nonBlank(List<String> values) {
        return values == null ? List.of() : values.stream().map(String::strip).filter(v -> !v.isEmpty()).toList();
    }
}
