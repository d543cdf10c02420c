package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskIds;
import io.fanout.shared.wire.Failure;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.MapRequest;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Status events and map requests straight onto the status topic, as a confused or replaying
 * executor might send them: early, late and twice. A task's state never moves backwards, its
 * completion is counted once, and a re-sent map creates no second child.
 */
class StatusOrderingIT {

    @Test
    void outOfOrderAndDuplicateStatusEventsLeaveCorrectState() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").items(List.of(1, 2), "item").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 2);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            UUID a = TaskIds.child(job, 0, 0);
            UUID b = TaskIds.child(job, 0, 1);
            long t = System.currentTimeMillis();
            Sender send = events -> producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", events)))).get();

            send.batch(List.of(StatusEvent.succeeded(a, 0, t + 30, false, null, null)));   // finished before it was seen running
            send.batch(List.of(StatusEvent.running(a, 0, t + 20), StatusEvent.received(a, 0, t + 10))); // stale
            send.batch(List.of(StatusEvent.succeeded(a, 0, t + 31, false, null, null)));   // duplicate
            send.batch(List.of(StatusEvent.failed(a, 0, t + 32, Failure.of("x.Late", "stale failure")))); // contradicting, same attempt
            send.batch(List.of(StatusEvent.running(b, 0, t + 40)));                          // marks the point all above were applied
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(state(cluster, job, b)));

            assertEquals("SUCCEEDED", state(cluster, job, a));
            assertEquals(1, Sql.count(cluster.db(), "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT failed_tasks FROM fanout_job WHERE job_id = ?", job));
            assertEquals("RUNNING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));

            // b: its success, a duplicate and a stale event in one batch, then again in another
            send.batch(List.of(StatusEvent.succeeded(b, 0, t + 50, false, null, null), StatusEvent.received(b, 0, t + 41),
                    StatusEvent.succeeded(b, 0, t + 51, false, null, null)));
            send.batch(List.of(StatusEvent.succeeded(b, 0, t + 52, false, null, null)));
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(new JobEvent.TaskCounts(2, 2, 0), outcome.tasks());
            assertEquals(2, Sql.count(cluster.db(), "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job));
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND task_id = ? AND received_at IS NOT NULL "
                    + "AND started_at IS NOT NULL", job, b));
        }
    }

    /**
     * An executor reports a task that found a slot at once RUNNING only: it was received when it
     * started. A retry's receipt is its own, not the failed attempt's.
     */
    @Test
    void aTaskReportedRunningOnlyWasReceivedWhenItStartedAndEachAttemptHasItsOwnReceipt() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").items(List.of(1), "item").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            UUID a = TaskIds.child(job, 0, 0);
            long t = System.currentTimeMillis();
            Sender send = events -> producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", events)))).get();
            String receivedMillis = "SELECT coalesce((extract(epoch FROM received_at) * 1000)::int8, -1) FROM fanout_task WHERE job_id = ? AND task_id = ?";

            send.batch(List.of(StatusEvent.running(a, 0, t)));
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(state(cluster, job, a)));
            assertEquals(t, Sql.count(cluster.db(), receivedMillis, job, a), "received when it started");

            send.batch(List.of(StatusEvent.failed(a, 0, t + 5, Failure.of("x.Flaky", "first attempt"))));
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT attempt FROM fanout_task WHERE job_id = ? AND task_id = ?",
                    job, a) == 1);
            assertEquals(-1, Sql.count(cluster.db(), receivedMillis, job, a), "the retry is not received yet");

            send.batch(List.of(StatusEvent.running(a, 1, t + 2_000)));
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(state(cluster, job, a)));
            assertEquals(t + 2_000, Sql.count(cluster.db(), receivedMillis, job, a), "the retry's own receipt");
        }
    }

    /**
     * Issue S7: reports of an attempt handed back unstarted (reported SUSPENDED, so held again and
     * no longer counted in flight) come from a copy of its record that no longer counts (a
     * redelivery, the record read again by the next owner of its partition): they change nothing.
     * Before, its success was counted and lowered {@code in_flight} a second time, so the job could
     * run more tasks at once than its parallelism.
     */
    @Test
    void reportsOfAnAttemptHandedBackAndHeldAgainChangeNothing() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").items(List.of(1, 2), "item").parallelism(1).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 2);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            UUID a = UUID.fromString(Sql.text(cluster.db(), "SELECT task_id::text FROM fanout_task WHERE job_id = ? AND state = 'DISPATCHED'", job));
            UUID b = a.equals(TaskIds.child(job, 0, 0)) ? TaskIds.child(job, 0, 1) : TaskIds.child(job, 0, 0);
            long t = System.currentTimeMillis();
            Sender send = events -> producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", events)))).get();

            send.batch(List.of(StatusEvent.received(a, 0, t), StatusEvent.suspended(a, 0, t + 1))); // handed back: held again, b goes instead
            await().atMost(Duration.ofSeconds(30)).until(() -> "DISPATCHED".equals(state(cluster, job, b)));
            send.batch(List.of(StatusEvent.received(a, 0, t + 2), StatusEvent.succeeded(a, 0, t + 3, false, null, null))); // a stale copy's
            send.batch(List.of(StatusEvent.running(b, 0, t + 4)));                                  // marks the point all above were applied
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(state(cluster, job, b)));

            assertEquals("CREATED", state(cluster, job, a), "still held, waiting for room");
            assertEquals(1, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job), "b alone is in flight");
            assertEquals(0, Sql.count(cluster.db(), "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job));

            send.batch(List.of(StatusEvent.succeeded(b, 0, t + 5, false, null, null)));
            await().atMost(Duration.ofSeconds(30)).until(() -> "DISPATCHED".equals(state(cluster, job, a)));
            send.batch(List.of(StatusEvent.succeeded(a, 0, t + 6, false, null, null)));
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(new JobEvent.TaskCounts(2, 2, 0), outcome.tasks());
            assertEquals(0, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));
        }
    }

    /**
     * A hand-back the apply refuses (the task already runs elsewhere: here a stopping executor that
     * read a copy of its record) leaves the task watched: its executor going silent, it is presumed
     * lost and retried. Before, any SUSPENDED report ended the watch, so a task whose executor died
     * stayed RUNNING, unwatched, for good.
     */
    @Test
    void aHandBackOfATaskRunningElsewhereLeavesItWatched() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(2)));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").items(List.of(1), "item")
                    .retry(new RetryPolicy(3, Duration.ofMillis(50), 1, Duration.ofSeconds(1), 0, List.of())).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            UUID a = TaskIds.child(job, 0, 0);
            long t = System.currentTimeMillis();
            for (StatusBatch b : List.of(new StatusBatch(job, "runs-it", List.of(StatusEvent.received(a, 0, t), StatusEvent.running(a, 0, t + 1))),
                    new StatusBatch(job, "stopping", List.of(StatusEvent.received(a, 0, t + 2), StatusEvent.suspended(a, 0, t + 3))))) {
                producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, WireCodec.encodeStatus(b))).get();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT attempt FROM fanout_task WHERE job_id = ?", job) == 1);
            assertEquals("io.fanout.TaskLost", Sql.text(cluster.db(), "SELECT error_class FROM fanout_task WHERE job_id = ?", job));
        }
    }

    @Test
    void aMapSentAgainStoresAndCountsItsChildrenOnce() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            byte[] map = WireCodec.encodeStatus(new MapRequest(job, job, 0, 0, "child", List.of(new byte[] {1}, new byte[] {2}, new byte[] {3})));
            // as a root task re-run after a crash would: the same map, twice, then once more alone
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map));
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map)).get();
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 4);
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map)).get();
            long t = System.currentTimeMillis();
            List<StatusEvent> all = new ArrayList<>(List.of(StatusEvent.succeeded(job, 0, t, false, null, null)));
            for (int i = 0; i < 3; i++) {
                all.add(StatusEvent.succeeded(TaskIds.child(job, 0, i), 0, t, false, null, null));
            }
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", all)))).get();
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(new JobEvent.TaskCounts(4, 4, 0), outcome.tasks());
            assertEquals(4, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job));
            // and each child's record was sent once: a map applied again sends only what it stored
            assertEquals(Map.of(job, 1L, TaskIds.child(job, 0, 0), 1L, TaskIds.child(job, 0, 1), 1L, TaskIds.child(job, 0, 2), 1L),
                    taskRecordsSent(cluster, job));
        }
    }

    @Test
    void theSameMapTwiceInOneBatchKeepsItsJobsParallelism() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            // three in flight at most: the root and two children, the third child waits
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").parallelism(3).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            byte[] map = WireCodec.encodeStatus(new MapRequest(job, job, 0, 0, "child", List.of(new byte[] {1}, new byte[] {2}, new byte[] {3})));
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map));
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map)).get();
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 4);
            UUID[] children = {TaskIds.child(job, 0, 0), TaskIds.child(job, 0, 1), TaskIds.child(job, 0, 2)};
            // the second copy found the budget spent, but its children are the first copy's: sent and DISPATCHED, not also held
            assertEquals("DISPATCHED", state(cluster, job, children[0]));
            assertEquals("DISPATCHED", state(cluster, job, children[1]));
            assertEquals("CREATED", state(cluster, job, children[2]));
            assertEquals(3, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));

            long t = System.currentTimeMillis();
            Sender send = events -> producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", events)))).get();
            send.batch(List.of(StatusEvent.succeeded(job, 0, t, false, null, null), StatusEvent.succeeded(children[0], 0, t, false, null, null),
                    StatusEvent.succeeded(children[1], 0, t, false, null, null)));
            await().atMost(Duration.ofSeconds(30)).until(() -> "DISPATCHED".equals(state(cluster, job, children[2])));
            send.batch(List.of(StatusEvent.succeeded(children[2], 0, t, false, null, null)));
            assertEquals(new JobEvent.TaskCounts(4, 4, 0), cluster.client().await(job, Duration.ofSeconds(30)).tasks());

            assertEquals(Map.of(job, 1L, children[0], 1L, children[1], 1L, children[2], 1L), taskRecordsSent(cluster, job));
        }
    }

    @Test
    void aMapWhoseIndexesAreOutOfRangeIsIgnoredAndTheRestOfItsBatchApplied() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            for (long first : new long[] {-1, TaskIds.MAX_INDEX}) { // the second: two items, the last beyond the range
                producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                        WireCodec.encodeStatus(new MapRequest(job, job, 0, first, "child", List.of(new byte[] {1}, new byte[] {2})))));
            }
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, WireCodec.encodeStatus(new StatusBatch(job, "fake-executor",
                    List.of(StatusEvent.succeeded(job, 0, System.currentTimeMillis(), false, null, null)))))).get();

            assertEquals(new JobEvent.TaskCounts(1, 1, 0), cluster.client().await(job, Duration.ofSeconds(30)).tasks());
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job));
        }
    }

    @Test
    void aJobAcceptedBeforeOrderedIdsNamesAMapSentAgainAsItsFirstCoordinatorDid() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                     new ByteArraySerializer(), new ByteArraySerializer())) {
            UUID job = cluster.client().submit(JobRequests.builder("nobody-runs-this").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 1);
            // as the migration leaves a job a coordinator of the previous version accepted
            Sql.execute(cluster.db(), "UPDATE fanout_job SET ordered_child_ids = false WHERE job_id = ?", job);
            int partition = (int) Sql.count(cluster.db(), "SELECT owner_partition FROM fanout_job WHERE job_id = ?", job);
            byte[] map = WireCodec.encodeStatus(new MapRequest(job, job, 0, 0, "child", List.of(new byte[] {1}, new byte[] {2})));
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map)).get();
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 3);
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null, map)).get();
            long t = System.currentTimeMillis();
            List<StatusEvent> all = new ArrayList<>(List.of(StatusEvent.succeeded(job, 0, t, false, null, null)));
            for (int i = 0; i < 2; i++) {
                UUID child = TaskIds.hashedChildren(job, 0).apply(i);
                assertEquals("DISPATCHED", state(cluster, job, child));
                all.add(StatusEvent.succeeded(child, 0, t, false, null, null));
            }
            producer.send(new ProducerRecord<>(cluster.topics.status(), partition, null,
                    WireCodec.encodeStatus(new StatusBatch(job, "fake-executor", all)))).get();

            assertEquals(new JobEvent.TaskCounts(3, 3, 0), cluster.client().await(job, Duration.ofSeconds(30)).tasks());
            assertEquals(3, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job));
        }
    }

    /** How many records the tasks topic holds for each task, once the job's outbox owes nothing more. */
    private static Map<UUID, Long> taskRecordsSent(FanoutCluster cluster, UUID job) {
        await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                "SELECT count(*) FROM fanout_outbox WHERE ?::uuid = ANY (task_jobs) OR ?::uuid = ANY (final_jobs)", job, job) == 0);
        return TopicRecords.all(cluster, cluster.topics.tasks()).stream()
                .flatMap(r -> WireCodec.decodeTasks(r.value()).stream()).map(TaskRecord::taskId)
                .collect(Collectors.groupingBy(id -> id, Collectors.counting()));
    }

    private static String state(FanoutCluster cluster, UUID job, UUID task) {
        return Sql.text(cluster.db(), "SELECT state FROM fanout_task WHERE job_id = ? AND task_id = ?", job, task);
    }

    @FunctionalInterface
    private interface Sender {
        void batch(List<StatusEvent> events) throws Exception;
    }
}
