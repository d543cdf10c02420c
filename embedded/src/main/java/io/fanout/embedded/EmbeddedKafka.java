package io.fanout.embedded;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-node Apache Kafka (KRaft, combined broker and controller) running inside this
 * JVM, from Kafka's own artifacts, on free ports and a temporary directory that is deleted on close.
 */
public final class EmbeddedKafka implements AutoCloseable {

    /** The name of the test kit's client listener (PLAINTEXT). */
    public static final String LISTENER = "EXTERNAL";
    /** The name of the test kit's controller listener (PLAINTEXT). */
    public static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * A broker with more settings: they are added to the ones above, or replace them. The test kit
     * names its client listener {@value #LISTENER} and its controller listener {@value #CONTROLLER_LISTENER};
     * settings that add a listener (a SASL or TLS one, say) keep both, each on port 0:
     * {@code listeners=EXTERNAL://localhost:0,CONTROLLER://localhost:0,SECURE://localhost:0}.
     */
    public static EmbeddedKafka start(Map<String, String> brokerSettings) {
        try {
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                            .setCombined(true)
                            .setNumBrokerNodes(1)
                            .setNumControllerNodes(1)
                            .build())
                    .setConfigProp("auto.create.topics.enable", "false")
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "4")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    // share groups (the executors' share task source) on one broker
                    .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
                    .setConfigProp("share.coordinator.state.topic.min.isr", "1")
                    .setConfigProp("share.coordinator.state.topic.num.partitions", "3")
                    // lets a group (a test's) choose an acquisition lock as short as a second
                    .setConfigProp("group.share.min.record.lock.duration.ms", "1000")
                    // a dead share member's partitions go to the others after 6 s, as a consumer group's do (the brokers' default is 45 s)
                    .setConfigProp("group.share.min.session.timeout.ms", "6000")
                    .setConfigProp("group.share.session.timeout.ms", "6000")
                    .setConfigProp("group.share.min.heartbeat.interval.ms", "1000")
                    .setConfigProp("group.share.heartbeat.interval.ms", "1500")
                    .setConfigProp("num.network.threads", "2")
                    .setConfigProp("num.io.threads", "4")
                    .setConfigProp("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
            brokerSettings.forEach(builder::setConfigProp);
            KafkaClusterTestKit cluster = builder.build();
            formatQuietly(cluster);
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new EmbeddedKafka(cluster);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the embedded Kafka broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the embedded Kafka broker: " + e.getMessage(), e);
        }
    }

    /** The test kit's storage formatter prints to standard output; keep the demo's console clean. */
    private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            cluster.format();
        } finally {
            System.setOut(out);
        }
    }

    /** The address of the client listener ({@value #LISTENER}, PLAINTEXT). */
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** The address of another listener, one that {@link #start(Map)}'s settings added. */
    public String bootstrapServers(String listenerName) {
        return cluster.brokers().values().stream()
                .map(b -> "localhost:" + b.boundPort(ListenerName.normalised(listenerName)))
                .collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop the embedded Kafka broker cleanly", e);
        }
    }
}
