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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigResource;

/** What a share group of executors needs: its client settings, and the group's own configuration on the brokers. */
final class ShareGroupSetup {

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
     * Makes a new share group start from the earliest task record (the brokers' default is the
     * latest: tasks sent before the first executor joined would never run). Idempotent.
     */
    static void startFromEarliest(Map<String, Object> kafka, String groupId) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.keySet().retainAll(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
        try (Admin admin = Admin.create(props)) {
            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
            ConfigEntry reset = admin.describeConfigs(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group).get(RESET);
            if (reset != null && "earliest".equals(reset.value())) {
                return; // set already: no need for the right to alter it
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, groupId),
                    List.of(new AlterConfigOp(new ConfigEntry(RESET, "earliest"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not set share group " + groupId + " to start from the earliest task record (the executor's "
                    + "principal needs DESCRIBE_CONFIGS and ALTER_CONFIGS on the group): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting up share group " + groupId, e);
        }
    }
}
