package io.fanout.coordinator.pools;

import io.fanout.shared.GroupIds;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.FanoutMeters;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each executor pool as Kafka sees it, read every {@value #INTERVAL_SECONDS} s and exported as the
 * gauges {@code fanout.pool.lag} (tasks waiting on the pool's task topic: end offsets minus the
 * offsets its consumer group committed or its share group started from) and
 * {@code fanout.pool.executors} (members of those groups). A pool with tasks waiting and no
 * executor is the alert {@code FanoutPoolWithoutExecutors}. While Kafka cannot be read the gauges
 * are NaN (unknown), so no alert fires on a stale figure.
 */
public final class PoolWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PoolWatch.class);
    static final long INTERVAL_SECONDS = 15;
    private static final long CALL_TIMEOUT_SECONDS = 10;

    /** One pool's latest reading. */
    private static final class Reading {
        volatile double lag = Double.NaN;
        volatile double executors = Double.NaN;
    }

    private final Admin admin;
    private final TopicNames topics;
    private final String executorGroup;
    private final Map<String, Reading> readings = new TreeMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fanout-coordinator-pool-watch");
        t.setDaemon(true);
        return t;
    });
    private String lastFailure;

    /** Watches {@code pools}, whose executors' base consumer group is {@code executorGroup}. */
    public PoolWatch(Map<String, Object> kafka, TopicNames topics, Set<String> pools, String executorGroup, FanoutMeters meters) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "fanout-coordinator-pool-watch");
        this.admin = Admin.create(props);
        this.topics = topics;
        this.executorGroup = executorGroup;
        for (String pool : pools) {
            Reading r = new Reading();
            readings.put(pool, r);
            meters.poolLag(pool, () -> r.lag);
            meters.poolExecutors(pool, () -> r.executors);
        }
    }

    /** A pool's latest reading: tasks waiting and executors (NaN while unknown). */
    public record PoolReading(String pool, double lag, double executors) {

        /** Tasks wait and no executor takes them (false while unknown). */
        public boolean stalled() {
            return lag > 0 && executors == 0;
        }
    }

    /** Every pool's latest reading. */
    public List<PoolReading> latest() {
        return readings.entrySet().stream().map(e -> new PoolReading(e.getKey(), e.getValue().lag, e.getValue().executors)).toList();
    }

    public PoolWatch start() {
        timer.scheduleWithFixedDelay(this::read, 0, INTERVAL_SECONDS, TimeUnit.SECONDS);
        return this;
    }

    /** Reads every pool once; a pool that cannot be read reads NaN until it can. */
    void read() {
        Map<String, GroupListing> groups;
        try {
            groups = get(admin.listGroups().all()).stream().collect(Collectors.toMap(GroupListing::groupId, g -> g, (a, b) -> a));
        } catch (Exception e) {
            readings.values().forEach(r -> r.lag = r.executors = Double.NaN);
            failed("cannot list the consumer groups", e);
            return;
        }
        boolean allRead = true;
        for (Map.Entry<String, Reading> e : readings.entrySet()) {
            try {
                read(e.getKey(), e.getValue(), groups);
            } catch (Exception x) {
                e.getValue().lag = e.getValue().executors = Double.NaN;
                failed("cannot read pool " + e.getKey(), x);
                allRead = false;
            }
        }
        if (allRead && lastFailure != null) {
            log.info("pool watch: every pool read again");
            lastFailure = null;
        }
    }

    private void read(String pool, Reading reading, Map<String, GroupListing> groups) throws Exception {
        String topic = topics.tasks(pool);
        String group = GroupIds.executors(executorGroup, pool);
        String shareGroup = GroupIds.executorShare(group);
        int partitions = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
        }
        Map<TopicPartition, Long> floor = new HashMap<>();
        get(admin.listOffsets(earliest).all()).forEach((tp, o) -> floor.put(tp, o.offset()));
        int executors = 0;
        if (groups.containsKey(group)) {
            Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
            committed.forEach((tp, o) -> floor.computeIfPresent(tp, (k, f) -> o == null ? f : Math.max(f, o.offset())));
            executors += get(admin.describeConsumerGroups(List.of(group)).all()).get(group).members().size();
        }
        if (groups.containsKey(shareGroup)) {
            get(admin.listShareGroupOffsets(Map.of(shareGroup, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(shareGroup))
                    .forEach((tp, o) -> floor.computeIfPresent(tp, (k, f) -> o == null ? f : Math.max(f, o.startOffset())));
            executors += get(admin.describeShareGroups(List.of(shareGroup)).all()).get(shareGroup).members().size();
        }
        long lag = 0;
        for (Map.Entry<TopicPartition, org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo> end
                : get(admin.listOffsets(latest).all()).entrySet()) {
            lag += Math.max(0, end.getValue().offset() - floor.getOrDefault(end.getKey(), 0L));
        }
        reading.lag = lag;
        reading.executors = executors;
    }

    private void failed(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt(); // closing
            return;
        }
        String text = what + ": " + (e.getCause() != null ? e.getCause() : e);
        if (!text.equals(lastFailure)) { // once per distinct failure, not every interval
            log.warn("pool watch: {}; the pool gauges read NaN until Kafka answers (next try in {} s)", text, INTERVAL_SECONDS);
            lastFailure = text;
        }
    }

    private static <T> T get(KafkaFuture<T> future) throws Exception {
        return future.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
