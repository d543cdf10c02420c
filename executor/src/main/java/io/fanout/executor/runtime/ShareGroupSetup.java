package io.fanout.executor.runtime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a share group of executors needs: its client settings, and the group's own configuration on the brokers. */
final class ShareGroupSetup {

    private static final Logger log = LoggerFactory.getLogger(ShareGroupSetup.class);

    /** Consumer settings a share consumer refuses ("cannot be set when using a share group"). */
    private static final Set<String> NOT_FOR_SHARE = Set.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, ConsumerConfig.GROUP_PROTOCOL_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
            ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG);

    private static final String RESET = "share.auto.offset.reset";

    private ShareGroupSetup() {
    }

    /** The share group of a pool's executors: named apart from the consumer group, since one group id cannot be both. */
    static String groupId(String consumerGroupId) {
        return io.fanout.shared.GroupIds.executorShare(consumerGroupId);
    }

    /** The share consumer's settings: explicit acknowledgement, and no more records per poll than {@code maxPollRecords}. */
    static Map<String, Object> consumerProps(Map<String, Object> kafka, String groupId, String clientId, int maxPollRecords) {
        Map<String, Object> p = new HashMap<>(kafka);
        p.keySet().removeAll(NOT_FOR_SHARE);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // At most max.poll.records per poll, so that members beyond the partition count get records too.
        p.putIfAbsent(ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        return p;
    }

    /**
     * Makes a new share group start where the pool's consumer group left off, and from the earliest
     * task record where it has nothing (the brokers' default is the latest: tasks sent before the
     * first executor joined would never run). A pool that switches from the consumer-group source
     * so does not run again the tasks its consumer group already ran, which the topic still
     * retains. Idempotent; a group that has started already keeps its place.
     */
    static void start(Map<String, Object> kafka, String shareGroupId, String consumerGroupId, String topic) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.keySet().retainAll(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
        try (Admin admin = Admin.create(props)) {
            startFromEarliest(admin, shareGroupId);
            try {
                startAfterConsumerGroup(admin, shareGroupId, consumerGroupId, topic);
            } catch (ExecutionException | TimeoutException e) { // best effort: the group still starts, from the earliest record
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                log.warn("share group {} may start from the earliest task record, not where consumer group {} left off, so tasks that group "
                        + "ran may run again: {}{}", shareGroupId, consumerGroupId, cause,
                        cause instanceof AuthorizationException ? " (`fanout topics acls` lists what the executor's principal needs)" : "");
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not set share group " + shareGroupId + " to start from the earliest task record (the "
                    + "executor's principal needs DESCRIBE_CONFIGS and ALTER_CONFIGS on the group): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting up share group " + shareGroupId, e);
        }
    }

    private static void startFromEarliest(Admin admin, String groupId) throws ExecutionException, TimeoutException, InterruptedException {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        ConfigEntry reset = admin.describeConfigs(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).get(RESET);
        if (reset != null && "earliest".equals(reset.value())) {
            return; // set already: no need for the right to alter it
        }
        admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(new ConfigEntry(RESET, "earliest"), AlterConfigOp.OpType.SET))))
                .all().get(30, TimeUnit.SECONDS);
    }

    /** A share group with no place yet on the topic takes the consumer group's committed offsets there, if it has any. */
    private static void startAfterConsumerGroup(Admin admin, String shareGroupId, String consumerGroupId, String topic)
            throws ExecutionException, TimeoutException, InterruptedException {
        Map<TopicPartition, SharePartitionOffsetInfo> started = admin.listShareGroupOffsets(Map.of(shareGroupId, new ListShareGroupOffsetsSpec()))
                .partitionsToOffsetInfo(shareGroupId).get(30, TimeUnit.SECONDS);
        if (started != null && started.keySet().stream().anyMatch(tp -> tp.topic().equals(topic))) {
            return;
        }
        Map<TopicPartition, Long> committed = new HashMap<>();
        admin.listConsumerGroupOffsets(consumerGroupId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).forEach((tp, offset) -> {
            if (tp.topic().equals(topic) && offset != null) {
                committed.put(tp, offset.offset());
            }
        });
        if (committed.isEmpty()) {
            return;
        }
        try {
            admin.alterShareGroupOffsets(shareGroupId, committed).all().get(30, TimeUnit.SECONDS);
            log.info("share group {} starts where consumer group {} left off on {}: {}", shareGroupId, consumerGroupId, topic, committed);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupNotEmptyException)) {
                throw e;
            }
            log.info("share group {} has members already: it started where they left it (another executor of the pool set it up first)",
                    shareGroupId);
        }
    }
}
