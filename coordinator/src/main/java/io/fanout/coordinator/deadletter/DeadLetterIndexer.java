package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.ProcessHealth;
import io.github.resilience4j.retry.Retry;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the PostgreSQL index of the dead-letter topic. Task letters are indexed by the coordinator
 * that dead-letters them, in the same transaction; here they only get their place on the topic.
 * Letters for unreadable records (written by executors, which have no database) are indexed here
 * with their bytes. Offsets are committed after the index commit, and indexing is idempotent.
 */
public final class DeadLetterIndexer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterIndexer.class);

    private final Consumer<byte[], byte[]> consumer;
    private final Database db;
    private final TopicNames topics;
    private final ReplayTargets targets;
    private final Retry retry = DatabaseRetry.create("dead-letter-index");
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch stop = new CountDownLatch(1);
    private final ProcessHealth health;
    private volatile boolean running = true;

    public DeadLetterIndexer(Consumer<byte[], byte[]> consumer, Database db, TopicNames topics, ProcessHealth health) {
        this.health = health;
        this.consumer = consumer;
        this.db = db;
        this.topics = topics;
        this.targets = new ReplayTargets(topics);
        this.thread = new Thread(this::run, "fanout-dead-letter-index");
    }

    public DeadLetterIndexer start() {
        thread.start();
        return this;
    }

    private void run() {
        int failures = 0;
        try {
            consumer.subscribe(List.of(topics.deadLetters()));
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    Retry.decorateCheckedRunnable(retry, () -> index(records)).run();
                    consumer.commitSync();
                    failures = 0;
                } catch (Exception e) {
                    failures++;
                    long backoff = Math.min(30_000, 500L << Math.min(failures, 6));
                    log.error("could not index {} dead letters (attempt {}); reading them again in {} ms", records.count(), failures, backoff, e);
                    for (TopicPartition tp : records.partitions()) {
                        consumer.seek(tp, records.records(tp).get(0).offset());
                    }
                    if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            log.error("the dead-letter indexer stopped by an unexpected error: the coordinator is unhealthy and must be restarted", e);
            health.failed(Thread.currentThread().getName(), e);
        } finally {
            consumer.close();
            stopped.countDown();
        }
    }

    private void index(ConsumerRecords<byte[], byte[]> records) throws Exception {
        List<DeadLetterStore.TaskLetterPlace> places = new ArrayList<>();
        List<DeadLetterStore.UnreadableRecord> unreadable = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Headers h = r.headers();
            UUID task = uuidOrNull(DeadLetterHeaders.text(h, DeadLetterHeaders.TASK));
            if (task != null) {
                places.add(new DeadLetterStore.TaskLetterPlace(task, originalTopic(r),
                        r.partition(), r.offset()));
            } else {
                unreadable.add(new DeadLetterStore.UnreadableRecord(originalTopic(r),
                        DeadLetterHeaders.originalPartition(h), DeadLetterHeaders.originalOffset(h), r.key(), r.value(),
                        DeadLetterHeaders.text(h, DeadLetterHeaders.EXCEPTION_FQCN), DeadLetterHeaders.text(h, DeadLetterHeaders.EXCEPTION_MESSAGE),
                        DeadLetterHeaders.text(h, DeadLetterHeaders.EXCEPTION_STACKTRACE), DeadLetterHeaders.text(h, DeadLetterHeaders.EXECUTOR),
                        failedAt(h, r.timestamp()), r.partition(), r.offset()));
            }
        }
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            DeadLetterStore.locateTaskLetters(c, places);
            DeadLetterStore.indexUnreadableRecords(c, unreadable);
            c.commit();
        }
    }

    /**
     * The letter's original topic if it may be replayed there, else null: the letter is indexed
     * (people see it) but never sent anywhere.
     */
    private String originalTopic(ConsumerRecord<byte[], byte[]> r) {
        String topic = DeadLetterHeaders.text(r.headers(), DeadLetterHeaders.ORIGINAL_TOPIC);
        if (topic == null || targets.allows(topic)) {
            return topic;
        }
        log.warn("dead letter {}-{}@{} is indexed as not replayable: {}", r.topic(), r.partition(), r.offset(), targets.refusal(topic));
        return null;
    }

    /** A task id header's value, or null if it is missing or not a task id (the record is then indexed as an unreadable record). */
    private static UUID uuidOrNull(String text) {
        try {
            return text == null ? null : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Instant failedAt(Headers h, long recordTime) {
        String t = DeadLetterHeaders.text(h, DeadLetterHeaders.LAST_FAILURE);
        try {
            return t == null ? Instant.ofEpochMilli(recordTime) : Instant.parse(t);
        } catch (DateTimeParseException e) {
            return Instant.ofEpochMilli(recordTime);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        stop.countDown();
        consumer.wakeup();
        stopped.await(30, TimeUnit.SECONDS);
    }
}
