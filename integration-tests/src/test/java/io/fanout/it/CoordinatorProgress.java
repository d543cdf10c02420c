package io.fanout.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** How far a cluster's coordinators have got through their input topics. */
final class CoordinatorProgress {

    private CoordinatorProgress() {
    }

    /** How many records were ever written to {@code topic} (the sum of its partitions' end offsets). */
    static long recordsIn(FanoutCluster cluster, String topic) {
        try (Admin admin = cluster.admin()) {
            return endOffsets(admin, topic).values().stream().mapToLong(Long::longValue).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the coordinators have applied every record of {@code topic} sent so far (their committed offsets are at its end). */
    static void awaitApplied(FanoutCluster cluster, String topic) {
        try (Admin admin = cluster.admin()) {
            Map<TopicPartition, Long> end = endOffsets(admin, topic);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(cluster.topics.prefix() + "coordinators")
                        .partitionsToOffsetAndMetadata().get();
                return end.entrySet().stream().allMatch(e -> e.getValue() == 0
                        || committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue());
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws InterruptedException, java.util.concurrent.ExecutionException {
        Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
        admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions()
                .forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        Map<TopicPartition, Long> end = new HashMap<>();
        admin.listOffsets(ends).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
        return end;
    }
}
