package io.fanout.executor.runtime;

import io.fanout.executor.ExecutorConfig;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import io.fanout.shared.wire.WireFormatException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor's consumer loop. It only polls, hands records to worker threads, and commits; it
 * never runs a task, so it keeps polling (and the member keeps its place in the group) however
 * long tasks take. When the buffer is full it pauses its partitions and keeps polling. Offsets are
 * committed up to the lowest unfinished task of each partition.
 */
public final class PollLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final Duration POLL = Duration.ofMillis(50);

    private final Consumer<byte[], byte[]> consumer;
    private final ExecutorConfig config;
    private final TaskRunner runner;
    private final StatusReporter reporter;
    private final OffsetTracker tracker = new OffsetTracker();
    private final Semaphore slots;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fanout-executor-task-", 0).factory());
    private final Set<Thread> runningTasks = ConcurrentHashMap.newKeySet();
    private final Set<Thread> waitingTasks = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
    private volatile boolean stopping;
    private volatile boolean handingBack;
    private boolean paused;

    PollLoop(Consumer<byte[], byte[]> consumer, ExecutorConfig config, TaskRunner runner, StatusReporter reporter) {
        this.consumer = consumer;
        this.config = config;
        this.runner = runner;
        this.reporter = reporter;
        this.slots = new Semaphore(config.concurrency());
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(config.topics().tasks(config.pool())), new Rebalance());
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                    handle(r);
                }
                flowControl();
                commit();
            }
            drain();
        } catch (RuntimeException e) {
            log.error("executor {} poll loop stopped by an unexpected error", config.executorId(), e);
        } finally {
            workers.shutdownNow();
            consumer.close();
            stopped.countDown();
        }
    }

    private void handle(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        TaskRecord task;
        try {
            task = WireCodec.decodeTask(r.value());
        } catch (WireFormatException e) {
            log.error("skipping unreadable task record {}@{}: {}", tp, r.offset(), e.getMessage());
            tracker.skipped(tp, r.offset());
            return;
        }
        tracker.received(tp, r.offset());
        reporter.report(task.jobId(), task.statusPartition(), StatusEvent.received(task.taskId(), task.attempt(), config.clock().millis()), null);
        workers.execute(() -> execute(tp, r.offset(), task));
    }

    private void execute(TopicPartition tp, long offset, TaskRecord task) {
        Thread self = Thread.currentThread();
        waitingTasks.add(self);
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            tracker.handedBack(tp, offset); // stopping before it started: handed back uncommitted
            return;
        } finally {
            waitingTasks.remove(self);
        }
        if (stopping) {
            slots.release();
            tracker.handedBack(tp, offset); // not started before the stop: the next owner runs it
            return;
        }
        runningTasks.add(self);
        try {
            reporter.report(task.jobId(), task.statusPartition(), StatusEvent.running(task.taskId(), task.attempt(), config.clock().millis()), null);
            StatusEvent outcome = runner.run(task);
            if (handingBack) {
                return; // interrupted by shutdown: another member runs it again
            }
            if (outcome.state() == TaskState.FAILED) {
                log.warn("task {} ({}) of job {} attempt {} failed: {}: {}", task.taskId(), task.taskName(), task.jobId(), task.attempt(),
                        outcome.errorClass(), outcome.errorMessage());
            }
            reporter.report(task.jobId(), task.statusPartition(), outcome, () -> tracker.finished(tp, offset));
        } finally {
            runningTasks.remove(self);
            slots.release();
        }
    }

    private void flowControl() {
        int inFlight = tracker.inFlight();
        if (!paused && inFlight >= config.maxBuffered()) {
            consumer.pause(consumer.assignment());
            paused = true;
        } else if (paused && inFlight <= config.maxBuffered() / 2 && !stopping) {
            consumer.resume(consumer.assignment());
            paused = false;
        }
    }

    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> changed = new HashMap<>();
        tracker.safeOffsets().forEach((tp, om) -> {
            if (!om.equals(committed.get(tp)) && consumer.assignment().contains(tp)) {
                changed.put(tp, om);
            }
        });
        if (!changed.isEmpty()) {
            committed.putAll(changed);
            consumer.commitAsync(changed, null);
        }
    }

    /**
     * Graceful stop: take nothing new, hand back what has not started, let running tasks finish
     * within the grace period, hand back the rest.
     */
    private void drain() {
        consumer.pause(consumer.assignment());
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (tracker.inFlight() > 0 && System.nanoTime() < deadline) {
            waitingTasks.forEach(Thread::interrupt); // tasks waiting for a slot go back unrun
            consumer.poll(POLL); // keeps the membership alive while paused
            commit();
        }
        if (tracker.inFlight() > 0) {
            log.warn("executor {}: {} tasks still unfinished after {}; handing them back", config.executorId(), tracker.inFlight(),
                    config.shutdownGrace());
            handingBack = true;
            runningTasks.forEach(Thread::interrupt);
        }
        commitSync();
    }

    private void commitSync() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.safeOffsets());
        offsets.keySet().retainAll(consumer.assignment());
        if (!offsets.isEmpty()) {
            try {
                consumer.commitSync(offsets);
            } catch (RuntimeException e) {
                log.warn("executor {}: offset commit failed: {}", config.executorId(), e.getMessage());
            }
        }
    }

    /** Stops taking work and waits for the loop to finish its graceful stop. */
    void stop() throws InterruptedException {
        stopping = true;
        stopped.await(config.shutdownGrace().toMillis() + 30_000, TimeUnit.MILLISECONDS);
    }

    int inFlight() {
        return tracker.inFlight();
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.safeOffsets());
            offsets.keySet().retainAll(partitions);
            if (!offsets.isEmpty()) {
                try {
                    consumer.commitSync(offsets);
                } catch (RuntimeException e) {
                    log.warn("executor {}: commit on revocation failed: {}", config.executorId(), e.getMessage());
                }
            }
            tracker.forget(partitions);
            partitions.forEach(committed::remove);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            tracker.forget(partitions);
            partitions.forEach(committed::remove);
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
