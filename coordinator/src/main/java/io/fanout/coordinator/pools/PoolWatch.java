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
import java.util.concurrent.atomic.AtomicReference;
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
 * Each executor pool as Kafka sees it, read every 15 s (more often with a shorter task-lost-after,
 * so that a task whose record was lost is found within it) and exported as the
 * gauges {@code fanout.pool.lag} (tasks waiting on the pool's task topic: end offsets minus the
 * offsets its consumer group committed or its share group started from) and
 * {@code fanout.pool.executors} (members of those groups). A pool with tasks waiting and no
 * executor is the alert {@code FanoutPoolWithoutExecutors}. While Kafka cannot be read the gauges
 * are NaN (unknown), so no alert fires on a stale figure.
 */
public final class PoolWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PoolWatch.class);
    static final Duration LONGEST_INTERVAL = Duration.ofSeconds(15);
    private static final long CALL_TIMEOUT_SECONDS = 10;


    private final Admin admin;
    private final TopicNames topics;
    private final String executorGroup;
    private final Map<String, AtomicReference<PoolReading>> readings = new TreeMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fanout-coordinator-pool-watch");
        t.setDaemon(true);
        return t;
    });
    private final Duration interval;
    private String lastFailure;

    /**
     * Watches {@code pools}, whose executors' base consumer group is {@code executorGroup}, every 15 s
     * or every half {@code taskLostAfter} if that is shorter (at least every second).
     */
    public PoolWatch(Map<String, Object> kafka, TopicNames topics, Set<String> pools, String executorGroup, Duration taskLostAfter, FanoutMeters meters) {
        this.interval = Duration.ofMillis(Math.max(1000, Math.min(LONGEST_INTERVAL.toMillis(), taskLostAfter.toMillis() / 2)));
        Map<String, Object> props = new HashMap<>(kafka);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "fanout-coordinator-pool-watch");
        this.admin = Admin.create(props);
        this.topics = topics;
        this.executorGroup = executorGroup;
        for (String pool : pools) {
            AtomicReference<PoolReading> r = new AtomicReference<>(PoolReading.unknown(pool, System.nanoTime()));
            readings.put(pool, r);
            meters.poolLag(pool, () -> r.get().lag());
            meters.poolExecutors(pool, () -> r.get().executors());
        }
    }

    /**
     * A pool's latest reading: tasks waiting and executors (NaN while unknown), taken at
     * {@code readAtNanos}; every reading since {@code emptySinceNanos} found nothing waiting
     * ({@link Long#MAX_VALUE} if the latest did not). Times are {@link System#nanoTime}.
     */
    public record PoolReading(String pool, double lag, double executors, long readAtNanos, long emptySinceNanos) {

        static PoolReading unknown(String pool, long at) {
            return new PoolReading(pool, Double.NaN, Double.NaN, at, Long.MAX_VALUE);
        }

        PoolReading next(long lag, int executors, long at) {
            return new PoolReading(pool, lag, executors, at, lag != 0 ? Long.MAX_VALUE : emptySinceNanos == Long.MAX_VALUE ? at : emptySinceNanos);
        }

        /** Whether every reading from {@code since} to this one found nothing waiting. */
        public boolean emptyAllAlongSince(long since) {
            return emptySinceNanos <= since;
        }

        /** Tasks wait and no executor takes them (false while unknown). */
        public boolean stalled() {
            return lag > 0 && executors == 0;
        }
    }

    /** Every pool's latest reading. */
    public List<PoolReading> latest() {
        return readings.values().stream().map(AtomicReference::get).toList();
    }

    public PoolWatch start() {
        timer.scheduleWithFixedDelay(this::read, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Reads every pool once; a pool that cannot be read reads NaN until it can. */
    void read() {
        Map<String, GroupListing> groups;
        try {
            groups = get(admin.listGroups().all()).stream().collect(Collectors.toMap(GroupListing::groupId, g -> g, (a, b) -> a));
        } catch (Exception e) {
            readings.forEach((pool, r) -> r.set(PoolReading.unknown(pool, System.nanoTime())));
            failed("cannot list the consumer groups", e);
            return;
        }
        boolean allRead = true;
        for (Map.Entry<String, AtomicReference<PoolReading>> e : readings.entrySet()) {
            try {
                read(e.getKey(), e.getValue(), groups);
            } catch (Exception x) {
                e.getValue().set(PoolReading.unknown(e.getKey(), System.nanoTime()));
                failed("cannot read pool " + e.getKey(), x);
                allRead = false;
            }
        }
        if (allRead && lastFailure != null) {
            log.info("pool watch: every pool read again");
            lastFailure = null;
        }
    }

    private void read(String pool, AtomicReference<PoolReading> reading, Map<String, GroupListing> groups) throws Exception {
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
        long readAt = System.nanoTime();
        long waiting = lag;
        int members = executors;
        reading.updateAndGet(r -> r.next(waiting, members, readAt));
    }

    private void failed(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt(); // closing
            return;
        }
        String text = what + ": " + (e.getCause() != null ? e.getCause() : e);
        if (!text.equals(lastFailure)) { // once per distinct failure, not every interval
            log.warn("pool watch: {}; the pool gauges read NaN until Kafka answers (next try in {})", text, interval);
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
