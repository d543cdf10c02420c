package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.ExecutorHeartbeat;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces this executor on the executors topic every heartbeat interval: who it is, what it
 * runs, and how busy it is. A graceful stop removes it (a tombstone); an executor that dies just
 * falls silent, which readers notice after three intervals.
 */
final class Heartbeats implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);

    private final Producer<byte[], byte[]> producer;
    private final ExecutorConfig config;
    private final TaskSourceLoop loop;
    private final String host = hostName();
    private final String startedAt = Instant.now().toString();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fanout-executor-heartbeat"));

    Heartbeats(Producer<byte[], byte[]> producer, ExecutorConfig config, TaskSourceLoop loop) {
        this.producer = producer;
        this.config = config;
        this.loop = loop;
    }

    Heartbeats start() {
        long every = config.heartbeatInterval().toMillis();
        timer.scheduleAtFixedRate(this::send, 0, every, TimeUnit.MILLISECONDS);
        return this;
    }

    private void send() {
        if (!config.health().healthy()) {
            return; // a dead thread: fall silent, so readers see this executor as gone
        }
        try {
            announce();
        } catch (RuntimeException e) {
            log.warn("executor {}: heartbeat not sent: {}", config.executorId(), e.toString());
        } catch (Error e) {
            config.health().failed("executor heartbeat", e);
        }
    }

    private void announce() {
        ExecutorHeartbeat beat = new ExecutorHeartbeat(config.executorId(), config.pool(), host, version(), List.copyOf(new TreeSet<>(config.processors().keySet())),
                config.concurrency(), loop.inFlight(), loop.running(), loop.completed(), loop.failed(), startedAt, Instant.now().toString(),
                config.heartbeatInterval().toMillis());
        producer.send(new ProducerRecord<>(config.topics().executors(), key(), Json.toBytes(beat)), (meta, error) -> {
            if (error != null) {
                log.warn("executor {}: heartbeat not sent: {}", config.executorId(), error.toString());
            }
        });
    }

    private byte[] key() {
        return config.executorId().getBytes(StandardCharsets.UTF_8);
    }

    static String version() {
        String v = Heartbeats.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }

    /** Stops announcing and removes this executor from the registry. */
    @Override
    public void close() {
        timer.shutdownNow();
        producer.send(new ProducerRecord<>(config.topics().executors(), key(), null));
    }
}
