package io.fanout.executor;

import io.fanout.executor.api.Processor;
import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.ProcessHealth;
import java.lang.management.ManagementFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Immutable executor settings, built and validated by {@link #builder()}. Executors need only
 * Kafka: these are Kafka client properties (passed through untouched), the processors, and how
 * much work to hold at once.
 *
 * @param pool the executor pool this executor joins: it runs the tasks of jobs sent to that pool
 * @param concurrency how many tasks run at the same time (each on its own virtual thread)
 * @param maxBuffered how many received tasks may wait or run before the partitions are paused
 * @param shutdownGrace how long a graceful stop waits for running tasks before handing them back
 * @param heartbeatInterval how often the executor tells the coordinators that the tasks it holds
 *     are alive; a task not heard of for several intervals is presumed lost and dispatched again
 * @param health where the executor's long-running threads report their death: the executor stops
 *     announcing itself, and the command line ends the process with a non-zero exit
 * @param taskSource how tasks are taken from Kafka: a consumer group (the default) or a share group
 */
public record ExecutorConfig(
        Map<String, Object> kafka,
        TopicNames topics,
        String pool,
        String groupId,
        String executorId,
        Map<String, Processor> processors,
        int concurrency,
        int maxBuffered,
        Duration shutdownGrace,
        Duration heartbeatInterval,
        MeterRegistry meterRegistry,
        ProcessHealth health,
        TaskSource taskSource,
        Clock clock) {

    /**
     * How an executor takes its pool's tasks from Kafka. {@code GROUP}: a consumer group; each
     * partition has one member, offsets are committed up to the lowest unfinished task, and a dead
     * member's partitions move after the session timeout. {@code SHARE}: a share group (KIP-932);
     * any number of members share every partition, each record is acknowledged on its own, and a
     * dead member's records come back after the acquisition lock.
     */
    public enum TaskSource {
        GROUP, SHARE;

        /** From its name, any case: "group" or "share". */
        public static TaskSource of(String name) {
            for (TaskSource t : values()) {
                if (t.name().equalsIgnoreCase(name)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("executor setting 'task-source' must be 'group' or 'share', got '" + name + "'");
        }
    }

    public static final String DEFAULT_GROUP_ID = io.fanout.shared.GroupIds.DEFAULT_EXECUTORS;
    public static final int DEFAULT_CONCURRENCY = 64;
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(5);

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "ExecutorConfig[id=" + executorId + ", pool=" + pool + ", groupId=" + groupId + ", topics=" + topics.prefix() + "*, processors=" + processors.keySet()
                + ", taskSource=" + taskSource + ", concurrency=" + concurrency + ", maxBuffered=" + maxBuffered + ", shutdownGrace=" + shutdownGrace + ", heartbeatInterval=" + heartbeatInterval + ", bootstrap="
                + kafka.get("bootstrap.servers") + "]";
    }

    public static final class Builder {
        private final Map<String, Object> kafka = new HashMap<>();
        private TopicNames topics = TopicNames.defaults();
        private String pool = Pools.DEFAULT;
        private String groupId = DEFAULT_GROUP_ID;
        private String executorId;
        private final Map<String, Processor> processors = new LinkedHashMap<>();
        private int concurrency = DEFAULT_CONCURRENCY;
        private Integer maxBuffered;
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
        private MeterRegistry meterRegistry = new SimpleMeterRegistry();
        private ProcessHealth health = new ProcessHealth();
        private TaskSource taskSource = TaskSource.GROUP;
        private Clock clock = Clock.systemUTC();

        public Builder kafka(Map<String, Object> props) {
            kafka.putAll(props);
            return this;
        }

        public Builder bootstrapServers(String servers) {
            kafka.put("bootstrap.servers", servers);
            return this;
        }

        public Builder topics(TopicNames topics) {
            this.topics = Objects.requireNonNull(topics, "topics");
            return this;
        }

        /** The pool this executor joins (default {@value Pools#DEFAULT}). */
        public Builder pool(String pool) {
            this.pool = Pools.check(pool);
            return this;
        }

        /**
         * The base consumer group (default {@value #DEFAULT_GROUP_ID}). Each pool is its own group:
         * the base itself for the default pool, {@code <base>.<pool>} for the others.
         */
        public Builder groupId(String groupId) {
            this.groupId = groupId;
            return this;
        }

        public Builder executorId(String executorId) {
            this.executorId = executorId;
            return this;
        }

        public Builder processor(String name, Processor processor) {
            if (processors.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(processor, "processor")) != null) {
                throw new IllegalArgumentException("processor '" + name + "' is registered twice");
            }
            return this;
        }

        public Builder processors(Map<String, ? extends Processor> all) {
            all.forEach(this::processor);
            return this;
        }

        public Builder concurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("executor setting 'concurrency' must be at least 1, got " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        public Builder maxBuffered(int maxBuffered) {
            if (maxBuffered < 1) {
                throw new IllegalArgumentException("executor setting 'max-buffered' must be at least 1, got " + maxBuffered);
            }
            this.maxBuffered = maxBuffered;
            return this;
        }

        public Builder shutdownGrace(Duration grace) {
            if (grace == null || grace.isNegative()) {
                throw new IllegalArgumentException("executor setting 'shutdown-grace' must be zero or positive");
            }
            this.shutdownGrace = grace;
            return this;
        }

        /** How often held tasks are reported alive; keep it well below the coordinators' 'task-lost-after'. */
        public Builder heartbeatInterval(Duration interval) {
            if (interval == null || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("executor setting 'heartbeat-interval' must be positive");
            }
            this.heartbeatInterval = interval;
            return this;
        }

        /** Where Fanout's meters go (default: an in-memory registry); the CLI passes a Prometheus one. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "meterRegistry");
            return this;
        }

        /** Where the executor's threads report their death (default: a health of its own, see {@code FanoutExecutor.health()}). */
        public Builder health(ProcessHealth health) {
            this.health = Objects.requireNonNull(health, "health");
            return this;
        }

        /** How tasks are taken from Kafka (default {@link TaskSource#GROUP}). */
        public Builder taskSource(TaskSource source) {
            this.taskSource = Objects.requireNonNull(source, "taskSource");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public ExecutorConfig build() {
            if (kafka.get("bootstrap.servers") == null) {
                throw new IllegalArgumentException("executor setting 'bootstrap.servers' is missing: the Kafka cluster to use");
            }
            if (processors.isEmpty()) {
                throw new IllegalArgumentException("executor setting 'processors' is empty: register at least one processor");
            }
            if (groupId == null || groupId.isBlank()) {
                throw new IllegalArgumentException("executor setting 'group-id' must not be empty");
            }
            String group = Pools.groupId(groupId, pool);
            int buffered = maxBuffered != null ? maxBuffered : Math.max(4 * concurrency, 500);
            if (buffered < concurrency) {
                throw new IllegalArgumentException("executor setting 'max-buffered' (" + buffered + ") must be at least 'concurrency' (" + concurrency + ")");
            }
            String id = executorId != null ? executorId : defaultId();
            return new ExecutorConfig(Map.copyOf(kafka), topics, pool, group, id, Map.copyOf(processors), concurrency, buffered, shutdownGrace, heartbeatInterval,
                    meterRegistry, health, taskSource, clock);
        }

        private static String defaultId() {
            // "pid@host" plus a short random part, so two executors in one JVM differ too
            return ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        }
    }
}
