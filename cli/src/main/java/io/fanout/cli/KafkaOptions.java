package io.fanout.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.fanout.shared.TopicNames;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.LoggerFactory;
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

    @Option(names = "-X", paramLabel = "KEY=VALUE", description = "A Kafka client property, e.g. -X security.protocol=SASL_SSL. A secret's value "
            + "can come from the environment or a file (-X sasl.jaas.config=@env:KAFKA_JAAS, =@file:/run/secrets/jaas), so that it is not shown by ps.")
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
        extra.forEach((k, v) -> props.put(k, resolve(k, v)));
        props.put("bootstrap.servers", bootstrapServers);
        return props;
    }

    /** A -X value, read from the environment ({@code @env:NAME}) or a file ({@code @file:PATH}) when it says so. */
    static String resolve(String key, String value) {
        if (value.startsWith("@env:")) {
            String v = System.getenv(value.substring(5));
            if (v == null) {
                throw new IllegalArgumentException("-X " + key + ": environment variable " + value.substring(5) + " is not set");
            }
            return v;
        }
        if (value.startsWith("@file:")) {
            try {
                return Files.readString(Path.of(value.substring(6))).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("-X " + key + ": " + value.substring(6) + " cannot be read: " + e.getMessage(), e);
            }
        }
        String k = key.toLowerCase(java.util.Locale.ROOT);
        if (k.contains("password") || k.contains("jaas") || k.contains("secret")) {
            System.err.println("fanout: -X " + key + " is visible to anyone who lists processes; give it as @env:NAME or @file:PATH");
        }
        return value;
    }

    /** How long a command's Kafka client waits for the brokers before the command fails naming them (Kafka's own default is 60 s). */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The settings for the clients of a command that does its work and ends (submit, watch, events,
     * dlq...), as opposed to a coordinator or an executor, which wait for Kafka as long as it takes:
     * no call blocks for longer than {@link #COMMAND_TIMEOUT} (unless -X or --kafka-config say
     * otherwise), so an unreachable broker fails the command within it, with the address tried
     * ({@link ExitCodes#describe}) instead of a screenful of Kafka's reconnect warnings.
     */
    Map<String, Object> forCommand() {
        Map<String, Object> props = kafka();
        String ms = Long.toString(COMMAND_TIMEOUT.toMillis());
        for (String setting : new String[] {"default.api.timeout.ms", "request.timeout.ms", "max.block.ms"}) {
            props.putIfAbsent(setting, ms);
        }
        ((Logger) LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient")).setLevel(Level.ERROR);
        return props;
    }

    TopicNames topics() {
        return new TopicNames(topicPrefix);
    }
}
