package io.fanout.coordinator;

import io.fanout.coordinator.alert.Alerts;
import io.fanout.coordinator.alert.WebhookAllowList;
import io.fanout.coordinator.deadletter.DeadLetterIndexer;
import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.dispatch.Effects;
import io.fanout.coordinator.intake.JobIntake;
import io.fanout.coordinator.loop.BatchProcessor;
import io.fanout.coordinator.loop.CoordinatorLoop;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.pools.PoolWatch;
import io.fanout.coordinator.reduce.ReduceFeeder;
import io.fanout.coordinator.retention.Retention;
import io.fanout.coordinator.schedule.Scheduler;
import io.fanout.coordinator.schedule.Schedules;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.shared.GroupIds;
import io.fanout.shared.KafkaClientSettings;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.metrics.ProcessHealth;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator process: consumes job requests and status events, owns job and task state in
 * PostgreSQL, dispatches tasks, and emits job outcomes. Start with {@link #start}, stop with
 * {@link #close}.
 */
public final class Coordinator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Coordinator.class);

    private final Database db;
    private final Producer<byte[], byte[]> producer;
    private final ReduceFeeder feeder;
    private final CoordinatorLoop loop;
    private final Thread thread;
    private final Scheduler scheduler;
    private final Schedules schedules;
    private final DeadLetterIndexer indexer;
    private final Retention retention;
    private final Alerts alerts;
    private final PoolWatch poolWatch;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ProcessHealth health;

    private Coordinator(CoordinatorConfig config) {
        log.info("starting coordinator with {}", config);
        this.health = config.health();
        FanoutMeters meters = new FanoutMeters(config.meterRegistry()).withCoordinatorCounters();
        this.db = Database.connect(config.jdbcUrl(), config.dbUser(), config.dbPassword(), config.databasePoolSize(), config.meterRegistry());
        KafkaProducer<byte[], byte[]> kafkaProducer = new KafkaProducer<>(producerProps(config), new ByteArraySerializer(), new ByteArraySerializer());
        new KafkaClientMetrics(kafkaProducer).bindTo(config.meterRegistry());
        this.producer = config.producerDecorator().apply(kafkaProducer);
        Outbox outbox = new Outbox();
        Effects effects = Effects.over(producer, config.topics(), config.sliceSize());
        JobStore jobs = new JobStore();
        TaskStore tasks = new TaskStore();
        PartitionOwnership ownership = new PartitionOwnership(config.coordinatorId());
        this.feeder = new ReduceFeeder(db, jobs, tasks, producer, config.topics(), ownership, outbox);
        BatchProcessor processor = new BatchProcessor(new JobIntake(config.knownProcessors(), config.pools(), WebhookAllowList.of(config.alerts())), jobs, tasks,
                new LetterActions(config.topics(), meters), config.clock(), meters,
                config.dispatchWindow());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.poolWatch = new PoolWatch(config.kafka(), config.topics(), config.pools(), config.executorGroup(), config.taskLostAfter(), meters);
        this.loop = new CoordinatorLoop(consumer, db, processor, new CoordinatorLoop.Outputs(effects, feeder, outbox, poolWatch), ownership, meters,
                config);
        this.thread = new Thread(loop, "fanout-coordinator-loop");
        this.scheduler = new Scheduler(db, producer, config.topics(), config.clock(), config.coordinatorId(),
                config.sweeper().leaseTtl());
        this.schedules = new Schedules(db.dataSource(), config.clock());
        meters.schedulerLeader(() -> scheduler.isLeader() ? 1 : 0);
        new KafkaClientMetrics(consumer).bindTo(config.meterRegistry());
        this.indexer = new DeadLetterIndexer(new KafkaConsumer<>(indexerProps(config), new ByteArrayDeserializer(), new ByteArrayDeserializer()), db,
                config.topics(), health);
        this.retention = new Retention(db, config.retention(), config.coordinatorId(), meters);
        this.alerts = new Alerts(db, config.alerts(), poolWatch, config.coordinatorId(), meters, config.clock());
    }

    public static Coordinator start(CoordinatorConfig config) {
        Coordinator c = new Coordinator(config);
        c.thread.start();
        c.indexer.start();
        c.scheduler.start();
        c.retention.start();
        c.alerts.start();
        c.poolWatch.start();
        return c;
    }


    /** Recurring jobs of this installation: add, list, remove. */
    public Schedules schedules() {
        return schedules;
    }

    /** Whether this coordinator fires the recurring jobs now. */
    public boolean leadsScheduler() {
        return scheduler.isLeader();
    }

    /** Whether every long-running thread of this coordinator is alive; a dead one makes it unhealthy for good. */
    public ProcessHealth health() {
        return health;
    }

    /** The coordinator's database, for reading job state (e.g. {@code fanout status}). */
    public DataSource dataSource() {
        return db.dataSource();
    }

    @Override
    public void close() throws InterruptedException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        scheduler.close();
        retention.close();
        alerts.close();
        poolWatch.close();
        indexer.close();
        loop.stop(Duration.ofSeconds(30));
        feeder.close();
        producer.close(Duration.ofSeconds(10));
        db.close();
        log.info("coordinator stopped");
    }

    private static Map<String, Object> producerProps(CoordinatorConfig config) {
        return KafkaClientSettings.reliableProducer(config.kafka(), "fanout-coordinator-producer");
    }

    private static Map<String, Object> indexerProps(CoordinatorConfig config) {
        return KafkaClientSettings.manualCommitConsumer(config.kafka(), GroupIds.deadLetterIndex(config.groupId()), RangeAssignor.class.getName(),
                "fanout-dead-letter-index");
    }

    private static Map<String, Object> consumerProps(CoordinatorConfig config) {
        // Range assignment gives one member the same partition number of the jobs and status topics.
        Map<String, Object> p = KafkaClientSettings.manualCommitConsumer(config.kafka(), config.groupId(), RangeAssignor.class.getName(), "fanout-coordinator");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        // A dead coordinator's partitions move after this long (Kafka's default is 45 s).
        p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        return p;
    }
}
