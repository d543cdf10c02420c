package io.fanout.coordinator.reduce;

import io.fanout.coordinator.dispatch.TaskPublisher;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.DatabaseRetry;
import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.JobStore;
import io.fanout.coordinator.store.NewTask;
import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskStore;
import io.fanout.shared.TopicNames;
import io.fanout.shared.model.PayloadFormat;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.ReduceInputChunk;
import io.fanout.shared.wire.ReduceInputRange;
import io.fanout.shared.wire.WireCodec;
import io.github.resilience4j.retry.Retry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a job whose subtasks all succeeded to its reduce: streams the stored subtask results
 * from PostgreSQL (a cursor, never all in memory) onto the reduce-inputs topic in chunks, records
 * the offset range, then stores and dispatches the reduce task that names the range. Runs on its
 * own thread so a large reduce never holds up the status loop.
 */
public final class ReduceFeeder implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReduceFeeder.class);
    private static final int CHUNK_BYTES = 256 * 1024;
    private static final int CHUNK_RESULTS = 4096;

    private final Database db;
    private final JobStore jobs;
    private final TaskStore tasks;
    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;
    private final TaskPublisher publisher;
    private final Retry retry = DatabaseRetry.create("reduce-feeder");
    private final PartitionOwnership ownership;
    private final Outbox outbox;
    /** Jobs this feeder is feeding now. */
    private final Set<UUID> feeding = ConcurrentHashMap.newKeySet();
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "fanout-coordinator-reduce"));

    public ReduceFeeder(Database db, JobStore jobs, TaskStore tasks, Producer<byte[], byte[]> producer, TopicNames topics, PartitionOwnership ownership,
                        Outbox outbox) {
        this.outbox = outbox;
        this.ownership = ownership;
        this.db = db;
        this.jobs = jobs;
        this.tasks = tasks;
        this.producer = producer;
        this.topics = topics;
        this.publisher = new TaskPublisher(producer, topics, 1); // a reduce goes in a record of its own
    }

    /** Feeds the job's reduce on the feeder's thread, unless this feeder is already at it. */
    public void submit(JobRow job) {
        if (!feeding.add(job.jobId())) {
            return;
        }
        thread.execute(() -> {
            try {
                Retry.decorateCheckedRunnable(retry, () -> feed(job)).run();
            } catch (Throwable e) {
                // The job stays REDUCING without a recorded input: the owner's next reconcile pass feeds it again.
                log.error("job {}: could not start its reduce; its partition's owner tries again at its next reconcile pass", job.jobId(), e);
            } finally {
                feeding.remove(job.jobId());
            }
        });
    }

    /**
     * Feeds again the reduces of these partitions' REDUCING jobs whose feed never finished (no input
     * range recorded: a crash or a failure while streaming), besides those this feeder is at.
     */
    public void resumeStalled(Connection conn, Collection<Integer> partitions) throws SQLException {
        for (JobRow job : jobs.awaitingReduceInput(conn, partitions)) {
            if (!feeding.contains(job.jobId())) {
                log.info("job {} was waiting for its reduce: feeding it", job.jobId());
                submit(job);
            }
        }
    }

    /**
     * Streams the results and dispatches the reduce, once. Called again for the same job (after a
     * restart or a rebalance), it streams nothing: the range is recorded in the same transaction
     * that stores the reduce task and owes its record in the outbox, which re-sends it if it never
     * reached Kafka.
     */
    private void feed(JobRow job) throws Exception {
        NewTask reduce = new NewTask(job.jobId(), TaskIds.reduce(job.jobId()), null, TaskKind.REDUCE, TaskKind.REDUCE_TASK_NAME,
                PayloadFormat.NONE, null);
        try (Connection conn = db.connection()) {
            if (jobs.reduceInput(conn, job.jobId()).isPresent()) {
                return;
            }
        }
        ReduceInputRange range = streamResults(job);
        List<Long> owed;
        int attempt;
        try (Connection conn = db.connection()) {
            conn.setAutoCommit(false);
            tasks.prepare(conn);
            OptionalInt startsAt = jobs.recordReduceInput(conn, job.jobId(), range);
            if (startsAt.isEmpty()) {
                conn.rollback();
                log.info("job {}: no longer waits for its reduce input (reopened, cancelled or fed already); this feed is dropped", job.jobId());
                return;
            }
            attempt = startsAt.getAsInt();
            tasks.insert(conn, List.of(reduce));
            if (attempt > 0) {
                tasks.startAt(conn, reduce, attempt);
            }
            owed = outbox.record(conn, new Owed().task(job.ownerPartition(), job.jobId(), reduce.taskId()));
            ownership.check(conn, List.of(job.ownerPartition()));
            conn.commit();
        }
        publisher.publish(new TaskDispatch(reduce, attempt, job, range)).get();
        try (Connection conn = db.connection()) {
            outbox.settle(conn, owed);
        }
        log.info("job {}: reduce dispatched over {} results", job.jobId(), range.resultCount());
    }

    /**
     * Streams the job's results under a new feed id. Another coordinator streaming the same job at
     * the same time (it took the partition over while this one was still at it) writes chunks of
     * its own feed id into the same partition; the range this feed records names only its own, and
     * only the owner can record it.
     */
    private ReduceInputRange streamResults(JobRow job) throws Exception {
        UUID feedId = UUID.randomUUID();
        int partition = job.ownerPartition();
        byte[] key = job.jobId().toString().getBytes(StandardCharsets.UTF_8);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        long count = 0;
        try (Connection conn = db.connection()) {
            conn.setAutoCommit(false); // a server-side cursor needs a transaction
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT result FROM fanout_task WHERE job_id = ? AND kind = ? AND state = 'SUCCEEDED'")) {
                ps.setFetchSize(2000);
                ps.setObject(1, job.jobId());
                ps.setShort(2, (short) TaskKind.MAPPED.code());
                try (ResultSet rs = ps.executeQuery()) {
                    List<byte[]> chunk = new ArrayList<>();
                    int bytes = 0;
                    while (rs.next()) {
                        byte[] r = rs.getBytes(1);
                        chunk.add(r);
                        bytes += 4 + (r == null ? 0 : r.length);
                        count++;
                        if (bytes >= CHUNK_BYTES || chunk.size() >= CHUNK_RESULTS) {
                            sent.add(send(partition, key, new ReduceInputChunk(job.jobId(), feedId, chunk)));
                            chunk = new ArrayList<>();
                            bytes = 0;
                        }
                    }
                    if (!chunk.isEmpty()) {
                        sent.add(send(partition, key, new ReduceInputChunk(job.jobId(), feedId, chunk)));
                    }
                }
            }
            conn.commit();
        }
        if (sent.isEmpty()) {
            return ReduceInputRange.empty();
        }
        long from = Long.MAX_VALUE;
        long to = -1;
        for (Future<RecordMetadata> f : sent) {
            long offset = f.get().offset();
            from = Math.min(from, offset);
            to = Math.max(to, offset);
        }
        return new ReduceInputRange(partition, from, to, count, feedId);
    }

    private Future<RecordMetadata> send(int partition, byte[] key, ReduceInputChunk chunk) {
        return producer.send(new ProducerRecord<>(topics.reduceInputs(), partition, key, WireCodec.encodeReduceInput(chunk)));
    }

    @Override
    public void close() throws InterruptedException {
        thread.shutdown();
        thread.awaitTermination(30, TimeUnit.SECONDS);
    }
}
