package io.fanout.topics;

import io.fanout.shared.Pools;
import io.fanout.shared.TopicNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * An executor pool as the brokers see it: the members of its consumer group and, per task
 * partition, how many tasks wait (lag = end offset - committed offset). This is the figure to
 * autoscale a pool on.
 */
public record PoolStatus(String pool, String topic, String group, List<String> members, Map<Integer, Long> lagByPartition) {

    public long totalLag() {
        return lagByPartition.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Every pool with a task topic under the prefix, sorted by name. */
    public static List<PoolStatus> readAll(Admin admin, TopicNames names, String baseGroup) {
        try {
            List<PoolStatus> pools = new ArrayList<>();
            for (String topic : new java.util.TreeSet<>(admin.listTopics().names().get())) {
                String pool = names.poolOfTaskTopic(topic);
                if (pool != null) {
                    pools.add(read(admin, pool, topic, Pools.groupId(baseGroup, pool)));
                }
            }
            return pools;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading pools", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read pools: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static PoolStatus read(Admin admin, String pool, String topic, String group) throws ExecutionException, InterruptedException {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> latest = new TreeMap<>((a, b) -> Integer.compare(a.partition(), b.partition()));
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        var ends = admin.listOffsets(latest).all().get();
        Map<TopicPartition, OffsetAndMetadata> committed = groupExists(admin, group)
                ? admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                : Map.of();
        Map<Integer, Long> lag = new TreeMap<>();
        ends.forEach((tp, end) -> {
            OffsetAndMetadata c = committed.get(tp);
            lag.put(tp.partition(), end.offset() - (c == null ? 0 : c.offset()));
        });
        if (committed.isEmpty() && !groupExists(admin, group)) {
            return new PoolStatus(pool, topic, group, List.of(), lag); // no executor has ever joined this pool
        }
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
        List<String> members = description.members().stream()
                .map(m -> m.clientId() + " " + m.host() + " partitions " + partitionsOf(m, topic))
                .sorted()
                .toList();
        return new PoolStatus(pool, topic, group, members, lag);
    }

    private static boolean groupExists(Admin admin, String group) throws ExecutionException, InterruptedException {
        return admin.listGroups().all().get().stream().anyMatch(g -> g.groupId().equals(group));
    }

    private static String partitionsOf(MemberDescription m, String topic) {
        return m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic)).map(tp -> Integer.toString(tp.partition()))
                .sorted().collect(Collectors.joining(",", "[", "]"));
    }

    public String render() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("pool %s (topic %s, group %s): %d executors, %,d tasks waiting%n", pool, topic, group, members.size(), totalLag()));
        members.forEach(m -> b.append("  ").append(m).append('\n'));
        b.append("  lag by partition: ").append(lagByPartition.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "))).append('\n');
        return b.toString();
    }
}
