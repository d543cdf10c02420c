package io.fanout.topics;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the layout's missing topics and verifies the existing ones. Idempotent: running it
 * again changes nothing. A topic that exists with fewer partitions than the layout, or another
 * cleanup policy, is reported, not altered.
 */
public final class TopicProvisioner {

    private final Admin admin;
    /** A topic just created may not be visible to every broker yet: describing it is retried briefly. */
    private final Retry untilVisible = Retry.of("topic-metadata", RetryConfig.custom()
            .maxAttempts(40)
            .waitDuration(Duration.ofMillis(250))
            .retryOnException(e -> e.getCause() instanceof UnknownTopicOrPartitionException || e.getCause() instanceof LeaderNotAvailableException
                    || e.getCause() instanceof NotLeaderOrFollowerException)
            .build());

    public TopicProvisioner(Admin admin) {
        this.admin = admin;
    }

    /** Returns the names of the topics it created. */
    public List<String> apply(TopicLayout layout) {
        List<TopicSpec> specs = layout.specs();
        Set<String> existing = await(admin.listTopics().names());
        List<NewTopic> missing = specs.stream()
                .filter(s -> !existing.contains(s.name()))
                .map(s -> new NewTopic(s.name(), Optional.of(s.partitions()), Optional.empty()).configs(s.configs()))
                .toList();
        List<String> created = new ArrayList<>();
        for (NewTopic t : missing) {
            try {
                await(admin.createTopics(List.of(t)).all());
                created.add(t.name());
            } catch (TopicCreationRaceException ignored) {
                // another process created it in the meantime; it is verified below
            }
        }
        verify(specs);
        awaitLeaders(specs.stream().map(TopicSpec::name).toList());
        return created;
    }

    /**
     * Waits until the leader of every partition of the topics serves requests. Metadata names a
     * leader a moment before that broker acts as one; a produce in that window fails, and an
     * idempotent producer whose first batch failed while later ones were written retries forever.
     * Listing offsets is answered only by a ready leader, so nothing is produced before it is.
     */
    public void awaitLeaders(Collection<String> topics) {
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        untilVisible.executeSupplier(() -> await(admin.describeTopics(topics).allTopicNames())).values()
                .forEach(d -> d.partitions().forEach(p -> partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        untilVisible.executeSupplier(() -> await(admin.listOffsets(partitions).all()));
    }

    /** Throws {@link TopicMismatchException} listing every difference between the layout and the cluster. */
    public void verify(Collection<TopicSpec> specs) {
        Map<String, TopicDescription> described = untilVisible.executeSupplier(
                () -> await(admin.describeTopics(specs.stream().map(TopicSpec::name).toList()).allTopicNames()));
        Map<ConfigResource, Config> configs = untilVisible.executeSupplier(() -> await(admin.describeConfigs(specs.stream()
                .map(s -> new ConfigResource(ConfigResource.Type.TOPIC, s.name())).toList()).all()));
        List<String> problems = new ArrayList<>();
        for (TopicSpec spec : specs) {
            int partitions = described.get(spec.name()).partitions().size();
            if (partitions < spec.partitions()) {
                problems.add(spec.name() + " has " + partitions + " partitions, the layout needs " + spec.partitions());
            }
            String policy = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, spec.name())).get("cleanup.policy").value();
            String wanted = spec.configs().get("cleanup.policy");
            if (wanted != null && !wanted.equals(policy)) {
                problems.add(spec.name() + " has cleanup.policy=" + policy + ", the layout needs " + wanted);
            }
        }
        if (!problems.isEmpty()) {
            throw new TopicMismatchException("existing topics do not match the layout: " + String.join("; ", problems));
        }
    }

    /** Raises a topic's partition count (never lowers it); returns the count it has afterwards. */
    public int ensurePartitions(String topic, int partitions) {
        int current = await(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic).partitions().size();
        if (current < partitions) {
            await(admin.createPartitions(Map.of(topic, org.apache.kafka.clients.admin.NewPartitions.increaseTo(partitions))).all());
            return partitions;
        }
        return current;
    }

    public static String describe(TopicLayout layout) {
        return layout.specs().stream().map(s -> s.name() + "(" + s.partitions() + ")").collect(Collectors.joining(", "));
    }

    private static <T> T await(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while talking to Kafka", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                throw new TopicCreationRaceException();
            }
            throw new IllegalStateException("Kafka admin call failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static final class TopicCreationRaceException extends RuntimeException {
        TopicCreationRaceException() {
            super(null, null, false, false);
        }
    }
}
