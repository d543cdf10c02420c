package io.fanout.executor.runtime;

import io.fanout.shared.TopicNames;
import io.fanout.shared.metrics.ProcessHealth;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends status events to the status topic on its own thread, batching whatever has queued up
 * into one record per job (no waiting when idle, large batches under load). Each event may carry
 * a callback that runs once the brokers have acknowledged it: a task's offset is released only
 * then, so a finished task's status can never be lost. A record the brokers did not take (away
 * longer than the delivery timeout) is sent again after a pause until they do: its tasks keep
 * their offsets and buffer slots meanwhile, and the coordinators keep hearing of them.
 */
final class StatusReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);
    private static final int MAX_EVENTS_PER_RECORD = 1000;
    private static final int MAX_BYTES_PER_RECORD = 512 * 1024;
    /** The error class of a task whose report (its result, mostly) is too large for a status record. */
    static final String RESULT_TOO_LARGE_CLASS = "io.fanout.ResultTooLarge";
    /**
     * After the first event of a quiet spell, wait this long for its followers: a short task's
     * RUNNING and SUCCEEDED then travel as one record, which the coordinator applies in one batch
     * instead of two.
     */
    private static final long LINGER_NANOS = 1_000_000;
    /** The pause before a record the brokers did not take is sent again. */
    static final Duration RESEND_AFTER = Duration.ofSeconds(1);

    /** An event to send; {@code alone}: in a record of its own (its batch was too large for the status topic). */
    private record Pending(UUID jobId, int partition, StatusEvent event, Runnable onAcked, boolean alone) {
        Pending inARecordOfItsOwn() {
            return new Pending(jobId, partition, event, onAcked, true);
        }
    }

    private record Destination(UUID jobId, int partition) {
    }

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String executorId;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService resends = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fanout-executor-status-resend"));
    private final ProcessHealth health;
    private final Thread thread;
    private volatile boolean running = true;

    StatusReporter(Producer<byte[], byte[]> producer, TopicNames topics, String executorId, ProcessHealth health) {
        this.producer = producer;
        this.topic = topics.status();
        this.executorId = executorId;
        this.health = health;
        this.thread = new Thread(this::run, "fanout-executor-status");
        thread.start();
    }

    void report(UUID jobId, int statusPartition, StatusEvent event, Runnable onAcked) {
        queue.add(new Pending(jobId, statusPartition, event, onAcked, false));
    }

    private void run() {
        List<Pending> drained = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                drained.add(first);
                if (queue.isEmpty()) {
                    LockSupport.parkNanos(LINGER_NANOS);
                }
                queue.drainTo(drained, 50_000);
                send(drained);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("could not send {} status events; sending them again in {}", drained.size(), RESEND_AFTER, e);
                resendLater(new ArrayList<>(drained));
            } catch (Error e) {
                health.failed("executor status reporter", e);
                throw e;
            } finally {
                drained.clear();
            }
        }
    }

    private void send(List<Pending> drained) {
        Map<Destination, List<Pending>> byJob = new LinkedHashMap<>();
        for (Pending p : drained) {
            if (p.alone()) {
                sendRecord(new Destination(p.jobId(), p.partition()), List.of(p));
            } else {
                byJob.computeIfAbsent(new Destination(p.jobId(), p.partition()), k -> new ArrayList<>()).add(p);
            }
        }
        byJob.forEach((dest, pendings) -> {
            int from = 0;
            while (from < pendings.size()) {
                int to = from;
                int bytes = 0;
                while (to < pendings.size() && to - from < MAX_EVENTS_PER_RECORD) {
                    int size = size(pendings.get(to).event());
                    if (to > from && bytes + size > MAX_BYTES_PER_RECORD) {
                        break; // a large event starts a record of its own rather than overflow this one
                    }
                    bytes += size;
                    to++;
                }
                sendRecord(dest, pendings.subList(from, to));
                from = to;
            }
        });
    }

    private void sendRecord(Destination dest, List<Pending> slice) {
        List<Pending> pendings = List.copyOf(slice);
        List<StatusEvent> events = new ArrayList<>(pendings.size());
        List<Runnable> callbacks = new ArrayList<>();
        for (Pending p : pendings) {
            events.add(p.event());
            if (p.onAcked() != null) {
                callbacks.add(p.onAcked());
            }
        }
        byte[] value = WireCodec.encodeStatus(new StatusBatch(dest.jobId(), executorId, events));
        byte[] key = dest.jobId().toString().getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, dest.partition(), key, value), (meta, error) -> {
            if (error instanceof RecordTooLargeException) {
                tooLarge(dest, pendings, value.length);
                return;
            }
            if (error != null) {
                log.error("status of {} tasks of job {} was not acknowledged; sending it again in {}: {}", events.size(), dest.jobId(), RESEND_AFTER,
                        error.toString());
                resendLater(pendings);
                return;
            }
            for (Runnable callback : callbacks) {
                try {
                    callback.run();
                } catch (RuntimeException e) {
                    log.error("settling a reported task failed", e);
                }
            }
        });
    }

    /**
     * A record was refused as too large (over the producer's max.request.size, or the status topic's
     * max.message.bytes): its events go again one per record, and an event too large on its own is
     * replaced by a failure of its task that says so (not retried: it would fail again), so that it
     * is settled, not resent for ever and not sinking the events sent with it.
     */
    private void tooLarge(Destination dest, List<Pending> pendings, int bytes) {
        if (pendings.size() > 1) {
            log.warn("a status record of {} events of job {} ({} bytes) is too large for a status record; sending them one by one", pendings.size(),
                    dest.jobId(), bytes);
            pendings.forEach(p -> queue.add(p.inARecordOfItsOwn()));
            return;
        }
        Pending p = pendings.get(0);
        StatusEvent e = p.event();
        log.error("the report of task {} of job {} ({} bytes) is too large for a status record; the task is reported failed instead", e.taskId(),
                dest.jobId(), bytes);
        StatusEvent failed = StatusEvent.failed(e.taskId(), e.attempt(), e.timeMillis(), new Failure(RESULT_TOO_LARGE_CLASS, "the task's report took "
                + bytes + " bytes, more than a status record may (the producer's max.request.size, the status topic's max.message.bytes): "
                + "return a smaller result, or store it elsewhere and return where", null, false, -1, -1, -1));
        queue.add(new Pending(p.jobId(), p.partition(), failed, p.onAcked(), true));
    }

    /** An estimate of the bytes an event takes in a record. */
    private static int size(StatusEvent e) {
        return 48 + (e.result() == null ? 0 : e.result().length) + (e.resultJson() == null ? 0 : e.resultJson().length() * 3)
                + (e.errorMessage() == null ? 0 : e.errorMessage().length() * 3) + (e.failure() == null || e.failure().stackTrace() == null ? 0
                : e.failure().stackTrace().length() * 3);
    }

    /**
     * Queues the events that report something again after a pause. RECEIVED and RUNNING without a
     * callback are the periodic heartbeats: the next one replaces them.
     */
    private void resendLater(List<Pending> pendings) {
        List<Pending> again = pendings.stream().filter(p -> p.onAcked() != null || p.event().state().isTerminal()).toList();
        if (again.isEmpty() || resends.isShutdown()) {
            return;
        }
        try {
            resends.schedule(() -> queue.addAll(again), RESEND_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // stopping: the tasks' offsets stay uncommitted, so the next owner runs them again
        }
    }

    /** Sends what is queued, waits for the acknowledgements, and stops the thread. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
        resends.shutdownNow();
        producer.flush();
    }
}
