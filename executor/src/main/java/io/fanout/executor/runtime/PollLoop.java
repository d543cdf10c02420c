package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.metrics.FanoutMeters;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's consumer loop. It only polls, hands records to {@link Attempts}, and commits; it
 * never runs a task, so it keeps polling (and the member keeps its place in the group) however
 * long tasks take. It starts no more tasks than its buffer holds: the rest of a poll (a slice
 * carries many tasks) waits here unstarted and unreported, with the partitions paused, until the
 * buffer has room; the partitions are also paused while the buffer is full, and it keeps polling.
 * Offsets are committed up to the lowest unfinished task of each partition. An error that ends it
 * makes the executor unhealthy.
 */
public final class PollLoop implements TaskSourceLoop {

    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL = Duration.ofMillis(50);
    /** How long a poll waits while tasks wait here for room in the buffer: they start after it. */
    private static final Duration POLL_WHILE_PENDING = Duration.ofMillis(2);

    private final Consumer<byte[], byte[]> consumer;
    private final ExecutorConfig config;
    private final OffsetTracker tracker = new OffsetTracker();
    private final OffsetCommitter committer;
    private final Attempts attempts;
    private final PoisonRecords poison;
    /** Attempts received and not started: the buffer was full. Poll thread only. */
    private final ArrayDeque<Attempt> pending = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private boolean paused;

    PollLoop(Consumer<byte[], byte[]> consumer, ExecutorConfig config, TaskRunner runner, StatusReporter reporter, PoisonRecords poison,
             FanoutMeters meters) {
        meters.inFlight(tracker::inFlight);
        this.consumer = consumer;
        this.config = config;
        this.poison = poison;
        this.committer = new OffsetCommitter(consumer, tracker, config.executorId());
        this.attempts = new Attempts(config, runner, reporter, new RecordSettlement() {
            @Override
            public void reported(Attempt a) {
                tracker.finished(a.tp, a.offset, a.item);
            }

            @Override
            public void handedBack(Attempt a) {
                tracker.handedBack(a.tp, a.offset, a.item); // still unfinished: no offset past it is committed, and the next owner runs it
            }
        }, meters);
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topics().tasks(config.pool())), new Rebalance());
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(pending.isEmpty() ? POLL : POLL_WHILE_PENDING)) {
                    handle(r);
                }
                startPending();
                flowControl();
                committer.commitAsync();
            }
            drain();
        } catch (RuntimeException | Error e) {
            log.error("executor {} poll loop stopped by an unexpected error; the executor stops", config.executorId(), e);
            config.health().failed("executor poll loop", e);
        } finally {
            attempts.shutdown();
            consumer.close(Duration.ofSeconds(10));
            stopped.countDown();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        List<TaskRecord> tasks;
        try {
            tasks = WireCodec.decodeTasks(r.value());
        } catch (WireFormatException e) {
            log.error("unreadable task record {}@{} goes to the dead-letter topic: {}", tp, r.offset(), e.getMessage());
            tracker.received(tp, r.offset());
            poison.deadLetter(r, e, () -> tracker.finished(tp, r.offset()));
            return;
        }
        tracker.received(tp, r.offset(), tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            pending.add(new Attempt(tasks.get(i), tp, r.offset(), i, 1, r.timestamp()));
        }
    }

    /** Starts what waits here while the buffer has room. */
    private void startPending() {
        while (!pending.isEmpty() && tracker.inFlight() - pending.size() < config.maxBuffered()) {
            attempts.start(pending.poll());
        }
    }

    private void flowControl() {
        int inFlight = tracker.inFlight();
        if (!paused && (inFlight >= config.maxBuffered() || !pending.isEmpty())) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && pending.isEmpty() && inFlight <= config.maxBuffered() / 2 && !stopping) {
            consumer.resume(consumer.assignment());
            paused = false;
        }
    }

    /**
     * Graceful stop: take nothing new, hand back what has not started, let running tasks finish
     * within the grace period, hand back the rest.
     */
    private void drain() {
        consumer.pause(consumer.assignment());
        pending.forEach(attempts::returnUnstarted); // as the attempts waiting for a slot: back to the coordinator, unstarted
        pending.clear();
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (tracker.inFlight() > 0 && System.nanoTime() < deadline) {
            attempts.stopStarting(); // tasks waiting for a slot go back unrun
            consumer.poll(POLL); // keeps the membership alive while paused
            committer.commitAsync();
        }
        if (tracker.inFlight() > 0) {
            log.warn("executor {}: {} tasks still unfinished after {}; handing them back", config.executorId(), tracker.inFlight(),
                    config.shutdownGrace());
            attempts.handBackRunning();
        }
        committer.commitSync(null);
    }

    @Override
    public void stop() throws InterruptedException {
        stopping = true;
        attempts.stopStarting();
        stopped.await(config.shutdownGrace().toMillis() + 30_000, TimeUnit.MILLISECONDS);
    }

    @Override
    public Attempts attempts() {
        return attempts;
    }

    @Override
    public int inFlight() {
        return tracker.inFlight();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            pending.removeIf(a -> partitions.contains(a.tp));
            attempts.held().withdraw(partitions);
            committer.commitSync(partitions);
            tracker.forget(partitions);
            committer.forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            pending.removeIf(a -> partitions.contains(a.tp));
            attempts.held().withdraw(partitions);
            tracker.forget(partitions);
            committer.forget(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (paused || stopping) {
                consumer.pause(partitions);
            }
            if (!partitions.isEmpty()) {
                log.info("executor {} assigned {}", config.executorId(), partitions);
            }
        }
    }
}
