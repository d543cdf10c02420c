package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.KafkaClientSettings;
import io.fanout.shared.metrics.FanoutMeters;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wires an executor's parts together: one consumer (of a consumer group or a share group), one producer, the task source's loop and the status reporter. */
public final class ExecutorRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ExecutorRuntime.class);
    /** The executor group's session timeout: how long a SIGKILLed executor's tasks wait before they move. */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

    private final ExecutorConfig config;
    private final KafkaProducer<byte[], byte[]> producer;
    private final StatusReporter reporter;
    private final TaskSourceLoop loop;
    private final Heartbeats heartbeats;
    private final ControlListener control;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ExecutorRuntime(ExecutorConfig config) {
        this.config = config;
        log.info("starting executor with {}", config);
        this.producer = new KafkaProducer<>(producerProps(config), new ByteArraySerializer(), new ByteArraySerializer());
        this.reporter = new StatusReporter(producer, config.topics(), config.executorId(), config.health());
        TaskRunner runner = new TaskRunner(config.processors(), new MapSender(producer, config.topics()), config.kafka(), config.topics(),
                config.executorId(), config.pool(), config.clock());
        FanoutMeters meters = new FanoutMeters(config.meterRegistry());
        PoisonRecords poison = new PoisonRecords(producer, config.topics(), config.executorId());
        new KafkaClientMetrics(producer).bindTo(config.meterRegistry());
        if (config.taskSource() == ExecutorConfig.TaskSource.SHARE) {
            String group = ShareGroupSetup.groupId(config.groupId());
            ShareGroupSetup.start(config.kafka(), group, config.groupId(), config.topics().tasks(config.pool()));
            this.loop = new ShareLoop(member -> new KafkaShareConsumer<>(ShareGroupSetup.consumerProps(config.kafka(), group,
                    "fanout-executor-" + config.executorId() + "-" + member, Math.min(config.concurrency(), config.maxBuffered())),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer()), config, runner, reporter, poison, meters);
        } else {
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            new KafkaClientMetrics(consumer).bindTo(config.meterRegistry());
            this.loop = new PollLoop(consumer, config, runner, reporter, poison, meters);
        }
        this.heartbeats = new Heartbeats(producer, config, loop);
        this.control = new ControlListener(config, loop);
    }

    public static ExecutorRuntime start(ExecutorConfig config) {
        ExecutorRuntime runtime = new ExecutorRuntime(config);
        Thread.ofPlatform().name("fanout-executor-poll").start(runtime.loop);
        runtime.heartbeats.start();
        runtime.control.start();
        return runtime;
    }

    public ExecutorConfig config() {
        return config;
    }

    public int inFlight() {
        return loop.inFlight();
    }

    @Override
    public void close() throws InterruptedException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        heartbeats.close();
        loop.stop();
        control.close(); // after the drain: a cancel during it still stops the job's running tasks
        reporter.close();
        producer.close(Duration.ofSeconds(10));
        log.info("executor {} stopped", config.executorId());
    }

    private static Map<String, Object> producerProps(ExecutorConfig config) {
        return KafkaClientSettings.reliableProducer(config.kafka(), "fanout-executor-producer-" + config.executorId());
    }

    /** The coordinators' default slice size: the tasks a record may carry, as far as a poll's size goes. */
    private static final int TASKS_PER_SLICE = 64;

    private static Map<String, Object> consumerProps(ExecutorConfig config) {
        Map<String, Object> p = KafkaClientSettings.manualCommitConsumer(config.kafka(), config.groupId(), CooperativeStickyAssignor.class.getName(), "fanout-executor-" + config.executorId());
        // About what the buffer takes when each record is a full slice: what a poll brings beyond the buffer waits
        // unstarted, and the partitions stay paused until it has started, so a larger poll would make a partition newly
        // assigned (a dead executor's) wait behind this executor's whole backlog.
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, Math.min(1000, config.maxBuffered()) / TASKS_PER_SLICE));
        // A dead executor's partitions move to the others after this long (Kafka's default is 45 s).
        p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) SESSION_TIMEOUT.toMillis());
        p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) SESSION_TIMEOUT.toMillis() / 4);
        return p;
    }
}
