package io.fanout.coordinator;

import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.ProcessHealth;
import java.lang.management.ManagementFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.producer.Producer;

/**
 * Immutable coordinator settings, built and validated by {@link #builder()}. Kafka properties
 * (bootstrap servers, security, SASL/SSL) pass through to every client untouched.
 *
 * @param executorGroup the executors' base consumer group (a pool's group is {@code base.pool}): whose lag
 *     and members the coordinator exports as {@code fanout.pool.lag} and {@code fanout.pool.executors}
 * @param coordinatorId this process's name in logs, leases and the replay log
 * @param taskLostAfter a task held by an executor that has not been heard of for this long is
 *     presumed lost and retried (executors report held tasks every few seconds)
 * @param sweeper when and how dead letters are replayed automatically
 * @param retention how long finished jobs, dead letters and the audit log are kept
 * @param alerts where alerts (failed jobs and runs, parked letters, stalled pools) are sent
 * @param dispatchWindow at most this many attempts in flight per pool over this coordinator's jobs,
 *     the rest waiting in PostgreSQL and released by job priority (0: no window, tasks go to Kafka at once)
 * @param reconcileInterval how often the outbox is checked for effects of committed transactions that
 *     never reached Kafka (a failed send, a crash between commit and send), which are then sent again
 * @param databasePoolSize connections to PostgreSQL (the loop, the reduce feeder, housekeeping,
 *     leases, dead letters, job control and the CLI's reads share them)
 * @param sliceSize the most mapped tasks of one job that one task record carries (1: a record per
 *     task, the only format executors built before slices read; see docs/operations.md on upgrading)
 * @param applyConnections connections that apply a large batch's task rows at once, each a
 *     transaction of its own (1: every batch in one transaction); taken from the pool
 * @param health where the coordinator's long-running threads report their death (the command line
 *     exits on it)
 * @param producerDecorator wraps the coordinator's Kafka producer; tests use it to make sends fail
 *     after a commit, the window the outbox closes
 */
public record CoordinatorConfig(
        Map<String, Object> kafka,
        TopicNames topics,
        String groupId,
        String jdbcUrl,
        String dbUser,
        String dbPassword,
        Set<String> knownProcessors,
        Set<String> pools,
        String executorGroup,
        Duration progressInterval,
        String coordinatorId,
        Duration taskLostAfter,
        SweeperPolicy sweeper,
        RetentionPolicy retention,
        AlertPolicy alerts,
        int dispatchWindow,
        Duration reconcileInterval,
        int databasePoolSize,
        int applyConnections,
        int sliceSize,
        UnaryOperator<Producer<byte[], byte[]>> producerDecorator,
        ProcessHealth health,
        MeterRegistry meterRegistry,
        Clock clock) {

    public static final String DEFAULT_GROUP_ID = io.fanout.shared.GroupIds.DEFAULT_COORDINATORS;
    /** The executors' default base consumer group (the executor's own default). */
    public static final String DEFAULT_EXECUTOR_GROUP = io.fanout.shared.GroupIds.DEFAULT_EXECUTORS;
    public static final int DEFAULT_APPLY_CONNECTIONS = 1;
    /**
     * Below an executor's buffer (4 × its slots, 32 at 8): a slice larger than the buffer waits in
     * part unstarted, and from a consumer group 64 ran slower than one task a record (docs/benchmarks.md).
     */
    public static final int DEFAULT_SLICE_SIZE = 16;
    public static final int MAX_SLICE_SIZE = 1_000;

    public static Builder builder() {
        return new Builder();
    }

    /** The settings for the log, with secrets masked. */
    @Override
    public String toString() {
        return "CoordinatorConfig[kafka=" + Masking.mask(kafka) + ", topics=" + topics.prefix() + "*, groupId=" + groupId + ", jdbcUrl="
                + Masking.jdbcUrl(jdbcUrl) + ", dbUser=" + dbUser + ", dbPassword=" + (dbPassword == null ? "none" : "****") + ", knownProcessors="
                + (knownProcessors.isEmpty() ? "any" : knownProcessors) + ", pools=" + pools + ", executorGroup=" + executorGroup + ", progressInterval=" + progressInterval + ", coordinatorId=" + coordinatorId + ", taskLostAfter=" + taskLostAfter
                + ", sweeper=" + sweeper + ", retention=[" + retention + "], alerts=[" + alerts + "], dispatchWindow=" + (dispatchWindow == 0 ? "off" : dispatchWindow) + ", reconcileInterval=" + reconcileInterval
                + ", databasePoolSize=" + databasePoolSize + ", applyConnections=" + applyConnections + ", sliceSize=" + sliceSize + "]";
    }

    public static final class Builder {
        private Map<String, Object> kafka = Map.of();
        private TopicNames topics = TopicNames.defaults();
        private String groupId = DEFAULT_GROUP_ID;
        private String jdbcUrl;
        private String dbUser;
        private String dbPassword;
        private Set<String> knownProcessors = Set.of();
        private Set<String> pools = Set.of(Pools.DEFAULT);
        private String executorGroup = DEFAULT_EXECUTOR_GROUP;
        private Duration progressInterval = Duration.ofMillis(500);
        private String coordinatorId;
        private Duration taskLostAfter = Duration.ofSeconds(30);
        private SweeperPolicy sweeper = SweeperPolicy.DEFAULT;
        private RetentionPolicy retention = RetentionPolicy.DEFAULT;
        private AlertPolicy alerts = AlertPolicy.DEFAULT;
        private int dispatchWindow;
        private Duration reconcileInterval = Duration.ofSeconds(10);
        private int databasePoolSize = 10;
        private int applyConnections = DEFAULT_APPLY_CONNECTIONS;
        private int sliceSize = DEFAULT_SLICE_SIZE;
        private UnaryOperator<Producer<byte[], byte[]>> producerDecorator = UnaryOperator.identity();
        private ProcessHealth health = new ProcessHealth();
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();
        private Clock clock = Clock.systemUTC();

        public Builder kafka(Map<String, Object> kafka) {
            this.kafka = Map.copyOf(kafka);
            return this;
        }

        public Builder bootstrapServers(String servers) {
            Map<String, Object> m = new java.util.HashMap<>(kafka);
            m.put("bootstrap.servers", servers);
            this.kafka = Map.copyOf(m);
            return this;
        }

        public Builder topics(TopicNames topics) {
            this.topics = Objects.requireNonNull(topics, "topics");
            return this;
        }

        public Builder groupId(String groupId) {
            this.groupId = groupId;
            return this;
        }

        public Builder database(String jdbcUrl, String user, String password) {
            this.jdbcUrl = jdbcUrl;
            this.dbUser = user;
            this.dbPassword = password;
            return this;
        }

        /** Processors that exist; a request for another is rejected. Empty (the default) accepts any name. */
        public Builder knownProcessors(Set<String> processors) {
            this.knownProcessors = Set.copyOf(processors);
            return this;
        }

        /** The executor pools jobs may name (default: only {@value Pools#DEFAULT}); a request for another is rejected. */
        public Builder pools(Set<String> pools) {
            pools.forEach(Pools::check);
            this.pools = Set.copyOf(pools);
            return this;
        }

        /** The executors' base consumer group (default {@value #DEFAULT_EXECUTOR_GROUP}), for the pools' lag and members. */
        public Builder executorGroup(String group) {
            this.executorGroup = group;
            return this;
        }

        public Builder progressInterval(Duration interval) {
            this.progressInterval = interval;
            return this;
        }

        public Builder coordinatorId(String id) {
            this.coordinatorId = id;
            return this;
        }

        public Builder taskLostAfter(Duration after) {
            this.taskLostAfter = after;
            return this;
        }

        /** Keep at most this many attempts in flight per pool, the rest waiting for room by job priority (0, the default: off). */
        public Builder dispatchWindow(int window) {
            if (window < 0) {
                throw new IllegalArgumentException("coordinator setting 'dispatch-window' must be zero (off) or positive, got " + window);
            }
            this.dispatchWindow = window;
            return this;
        }

        /** How often effects owed by committed transactions (the outbox) are looked for and sent again (default 10 s). */
        public Builder reconcileInterval(Duration interval) {
            this.reconcileInterval = interval;
            return this;
        }

        /** Connections to PostgreSQL (default 10). */
        public Builder databasePoolSize(int size) {
            this.databasePoolSize = size;
            return this;
        }

        /** Connections that apply a large batch at once (default 1: one transaction per batch). */
        public Builder sliceSize(int size) {
            if (size < 1 || size > MAX_SLICE_SIZE) {
                throw new IllegalArgumentException("coordinator setting 'slice-size' must be between 1 and " + MAX_SLICE_SIZE + ", got " + size);
            }
            this.sliceSize = size;
            return this;
        }

        public Builder applyConnections(int connections) {
            this.applyConnections = connections;
            return this;
        }

        /** Wraps the coordinator's producer (for fault injection in tests; default: none). */
        public Builder producerDecorator(UnaryOperator<Producer<byte[], byte[]>> decorator) {
            this.producerDecorator = Objects.requireNonNull(decorator, "producerDecorator");
            return this;
        }

        /** Where the coordinator's threads report their death (default: a health of its own, see {@link Coordinator#health()}). */
        public Builder health(ProcessHealth health) {
            this.health = Objects.requireNonNull(health, "health");
            return this;
        }

        public Builder retention(RetentionPolicy policy) {
            this.retention = Objects.requireNonNull(policy, "retention");
            return this;
        }

        public Builder alerts(AlertPolicy policy) {
            this.alerts = Objects.requireNonNull(policy, "alerts");
            return this;
        }

        public Builder sweeper(SweeperPolicy policy) {
            this.sweeper = Objects.requireNonNull(policy, "sweeper");
            return this;
        }

        /** Where Fanout's meters go (default: an in-memory registry); the CLI passes a Prometheus one. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public CoordinatorConfig build() {
            if (kafka.get("bootstrap.servers") == null) {
                throw new IllegalArgumentException("coordinator setting 'bootstrap.servers' is missing: the Kafka cluster to use");
            }
            if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("coordinator setting 'jdbc-url' must be a jdbc:postgresql: URL, got " + jdbcUrl);
            }
            if (groupId == null || groupId.isBlank()) {
                throw new IllegalArgumentException("coordinator setting 'group-id' must not be empty");
            }
            if (executorGroup == null || executorGroup.isBlank()) {
                throw new IllegalArgumentException("coordinator setting 'executor-group' must not be empty");
            }
            if (progressInterval == null || progressInterval.isNegative()) {
                throw new IllegalArgumentException("coordinator setting 'progress-interval' must be zero or positive");
            }
            if (pools.isEmpty()) {
                throw new IllegalArgumentException("coordinator setting 'pools' is empty: name at least one executor pool");
            }
            if (taskLostAfter == null || taskLostAfter.toMillis() < 1) {
                throw new IllegalArgumentException("coordinator setting 'task-lost-after' must be positive");
            }
            if (reconcileInterval == null || reconcileInterval.toMillis() < 1) {
                throw new IllegalArgumentException("coordinator setting 'reconcile-interval' must be positive");
            }
            if (applyConnections < 1 || applyConnections > 16) {
                throw new IllegalArgumentException("coordinator setting 'apply-connections' must be between 1 and 16, got " + applyConnections);
            }
            int least = 4 + (applyConnections > 1 ? applyConnections : 0);
            if (databasePoolSize < least) {
                throw new IllegalArgumentException("coordinator setting 'database-pool-size' must be at least " + least + " (the loop, the reduce "
                        + "feeder, housekeeping and the leases each hold one at times" + (applyConnections > 1 ? ", and the " + applyConnections
                        + " apply connections" : "") + "), got " + databasePoolSize);
            }
            String id = coordinatorId != null ? coordinatorId
                    : ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
            return new CoordinatorConfig(kafka, topics, groupId, jdbcUrl, dbUser, dbPassword, knownProcessors, pools, executorGroup, progressInterval, id, taskLostAfter,
                    sweeper, retention, alerts, dispatchWindow, reconcileInterval, databasePoolSize, applyConnections, sliceSize, producerDecorator, health, meterRegistry, clock);
        }
    }
}
