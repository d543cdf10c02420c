package io.fanout.cli;

import io.fanout.shared.TopicNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Where Kafka is and which Fanout topics to use; extra client settings pass through untouched. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", defaultValue = "${env:FANOUT_BOOTSTRAP_SERVERS:-localhost:9092}",
            description = "Kafka bootstrap servers (env FANOUT_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--topic-prefix", defaultValue = "${env:FANOUT_TOPIC_PREFIX:-fanout.}",
            description = "Prefix of Fanout's topic names (env FANOUT_TOPIC_PREFIX; default ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--kafka-config", defaultValue = "${env:FANOUT_KAFKA_CONFIG}",
            description = "A Kafka client properties file (security.protocol, sasl.*, ssl.*...), passed through to every client.")
    Path kafkaConfig;

    @Option(names = "-X", paramLabel = "KEY=VALUE", description = "A Kafka client property, e.g. -X security.protocol=SASL_SSL.")
    Map<String, String> extra = new HashMap<>();

    Map<String, Object> kafka() {
        Map<String, Object> props = new HashMap<>();
        if (kafkaConfig != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(kafkaConfig)) {
                p.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("--kafka-config " + kafkaConfig + " cannot be read: " + e.getMessage(), e);
            }
            p.forEach((k, v) -> props.put((String) k, v));
        }
        props.putAll(extra);
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    TopicNames topics() {
        return new TopicNames(topicPrefix);
    }
}
