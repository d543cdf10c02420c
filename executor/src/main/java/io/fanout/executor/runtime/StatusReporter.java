package io.fanout.executor.runtime;

import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends status events to the status topic on its own thread, batching whatever has queued up
 * into one record per job (no waiting when idle, large batches under load). Each event may carry
 * a callback that runs once the brokers have acknowledged it: a task's offset is released only
 * then, so a finished task's status can never be lost.
 */
final class StatusReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);
    private static final int MAX_EVENTS_PER_RECORD = 1000;
    private static final int MAX_BYTES_PER_RECORD = 512 * 1024;
    /**
     * After the first event of a quiet spell, wait this long for its followers: a short task's
     * RECEIVED, RUNNING and SUCCEEDED then travel as one record, which the coordinator applies in one
     * batch instead of three.
     */
    private static final long LINGER_NANOS = 1_000_000;

    private record Pending(UUID jobId, int partition, StatusEvent event, Runnable onAcked) {
    }

    private record Destination(UUID jobId, int partition) {
    }

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String executorId;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    StatusReporter(Producer<byte[], byte[]> producer, TopicNames topics, String executorId) {
        this.producer = producer;
        this.topic = topics.status();
        this.executorId = executorId;
        this.thread = new Thread(this::run, "fanout-executor-status");
        thread.start();
    }

    void report(UUID jobId, int statusPartition, StatusEvent event, Runnable onAcked) {
        queue.add(new Pending(jobId, statusPartition, event, onAcked));
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
                log.error("could not send {} status events; their tasks stay uncommitted and will be redelivered", drained.size(), e);
            } finally {
                drained.clear();
            }
        }
    }

    private void send(List<Pending> drained) {
        Map<Destination, List<Pending>> byJob = new LinkedHashMap<>();
        for (Pending p : drained) {
            byJob.computeIfAbsent(new Destination(p.jobId(), p.partition()), k -> new ArrayList<>()).add(p);
        }
        byJob.forEach((dest, pendings) -> {
            int from = 0;
            while (from < pendings.size()) {
                int to = from;
                int bytes = 0;
                while (to < pendings.size() && to - from < MAX_EVENTS_PER_RECORD && bytes < MAX_BYTES_PER_RECORD) {
                    StatusEvent e = pendings.get(to).event();
                    bytes += 48 + (e.result() == null ? 0 : e.result().length) + (e.resultJson() == null ? 0 : e.resultJson().length() * 3)
                            + (e.errorMessage() == null ? 0 : e.errorMessage().length() * 3);
                    to++;
                }
                sendRecord(dest, pendings.subList(from, to));
                from = to;
            }
        });
    }

    private void sendRecord(Destination dest, List<Pending> pendings) {
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
            if (error != null) {
                log.error("status of {} tasks of job {} was not acknowledged; the tasks will be redelivered", events.size(), dest.jobId(), error);
                return;
            }
            callbacks.forEach(Runnable::run);
        });
    }

    /** Sends what is queued, waits for the acknowledgements, and stops the thread. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
        producer.flush();
    }
}
