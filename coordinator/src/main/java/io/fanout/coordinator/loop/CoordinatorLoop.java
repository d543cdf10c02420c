package io.fanout.coordinator.loop;

import io.fanout.coordinator.dispatch.JobEventPublisher;
import io.fanout.coordinator.dispatch.TaskPublisher;
import io.fanout.coordinator.reduce.ReduceFeeder;
import io.fanout.coordinator.CoordinatorConfig;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.JobEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's run loop, the one place where records become state: poll the jobs and status
 * topics, apply the batch in one PostgreSQL transaction, then dispatch tasks and emit events, and
 * only then commit the consumer offsets. A batch that fails is rewound and applied again, which is
 * safe because every step is idempotent.
 */
public final class CoordinatorLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final int MAX_TRACKED_PROGRESS = 10_000;

    private final Consumer<byte[], byte[]> consumer;
    private final Database db;
    private final BatchProcessor processor;
    private final TaskStore tasks;
    private final JobStore jobs;
    private final TaskPublisher taskPublisher;
    private final JobEventPublisher eventPublisher;
    private final ReduceFeeder feeder;
    private final TopicNames topics;
    private final Duration progressInterval;
    private final Clock clock;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<UUID, Long> lastProgress = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
            return size() > MAX_TRACKED_PROGRESS;
        }
    };
    private volatile boolean running = true;
    private Connection conn;

    public CoordinatorLoop(Consumer<byte[], byte[]> consumer, Database db, BatchProcessor processor, Outputs outputs, CoordinatorConfig config) {
        this.consumer = consumer;
        this.db = db;
        this.processor = processor;
        this.jobs = processor.jobs();
        this.tasks = processor.tasks();
        this.taskPublisher = outputs.tasks();
        this.eventPublisher = outputs.events();
        this.feeder = outputs.reduces();
        this.topics = config.topics();
        this.progressInterval = config.progressInterval();
        this.clock = config.clock();
    }

    /** Where the loop's effects go after each commit. */
    public record Outputs(TaskPublisher tasks, JobEventPublisher events, ReduceFeeder reduces) {
    }

    @Override
    public void run() {
        int failures = 0;
        try {
            consumer.subscribe(List.of(topics.jobs(), topics.status()), new Recovery());
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    handle(records);
                    consumer.commitAsync();
                    failures = 0;
                } catch (WakeupException e) {
                    throw e;
                } catch (Exception e) {
                    failures++;
                    Duration backoff = Duration.ofMillis(Math.min(10_000, 200L << Math.min(failures, 6)));
                    log.error("coordinator batch of {} records failed (attempt {}); rewinding and retrying in {} ms", records.count(), failures,
                            backoff.toMillis(), e);
                    rewind(records);
                    closeConnection();
                    sleep(backoff);
                }
            }
        } catch (WakeupException e) {
            // stop() woke the poll up
        } catch (RuntimeException e) {
            log.error("coordinator loop stopped by an unexpected error", e);
        } finally {
            try {
                consumer.commitSync(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.warn("final offset commit failed: {}", e.getMessage());
            }
            consumer.close();
            closeConnection();
            stopped.countDown();
        }
    }

    private void handle(ConsumerRecords<byte[], byte[]> records) throws Exception {
        List<ConsumerRecord<byte[], byte[]>> jobRecords = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> statusRecords = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            (r.topic().equals(topics.jobs()) ? jobRecords : statusRecords).add(r);
        }
        Connection c = connection();
        AfterCommit after;
        try {
            after = processor.process(c, jobRecords, statusRecords);
            c.commit();
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly(c);
            throw e;
        }
        for (AfterCommit.Dispatch d : after.tasks) {
            taskPublisher.publish(d.task(), d.processor(), d.statusPartition(), null);
        }
        after.events.forEach(this::emit);
        emitProgress(after.progressed);
        taskPublisher.awaitAll();
        after.reduces.forEach(feeder::submit);
    }

    private void emit(JobEvent event) {
        eventPublisher.publish(event);
        if (event.isFinal()) {
            lastProgress.remove(event.jobId());
        }
    }

    private void emitProgress(List<JobRow> progressed) {
        long now = clock.millis();
        for (JobRow job : progressed) {
            Long last = lastProgress.get(job.jobId());
            if (last == null || now - last >= progressInterval.toMillis()) {
                lastProgress.put(job.jobId(), now);
                eventPublisher.publish(new JobEvent(JobEvent.Type.PROGRESS, job.jobId(), job.key(), job.processor(), job.state(), job.counts(),
                        null, null, null, null, clock.instant().toString()));
            }
        }
    }

    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> rs = records.records(tp);
            if (consumer.assignment().contains(tp)) {
                consumer.seek(tp, rs.get(0).offset());
            }
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = db.connection();
            conn.setAutoCommit(false);
            tasks.prepare(conn);
            conn.commit();
        }
        return conn;
    }

    private void closeConnection() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // the connection is being discarded
            }
            conn = null;
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is replaced after a failure anyway
        }
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops polling, commits what was applied and leaves the group. */
    public void stop(Duration timeout) throws InterruptedException {
        running = false;
        consumer.wakeup();
        if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("coordinator loop did not stop within {}", timeout);
        }
    }

    /** On getting partitions, resumes the reduces of their jobs that may have been interrupted. */
    private final class Recovery implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            List<Integer> owned = partitions.stream().filter(tp -> tp.topic().equals(topics.jobs())).map(TopicPartition::partition).toList();
            if (owned.isEmpty()) {
                return;
            }
            log.info("coordinator owns job partitions {}", owned);
            try (Connection c = db.connection()) {
                for (JobRow job : jobs.reducing(c, owned)) {
                    log.info("job {} was waiting for its reduce: resuming it", job.jobId());
                    feeder.submit(job);
                }
            } catch (SQLException e) {
                log.error("could not look up interrupted reduces for partitions {}", owned, e);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Positions only ever point past fully applied batches, so they are safe to hand over.
            if (!partitions.isEmpty()) {
                consumer.commitSync();
            }
        }
    }
}
