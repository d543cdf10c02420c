package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.console.DeadLetters;
import io.fanout.coordinator.Coordinator;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskKind;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Nothing committed is ever stranded: every Kafka effect of a committed transaction is recorded in
 * the outbox in that transaction, and a send that fails after the commit (the broker away, the
 * process dying before it) is made good by the reconciler, of the same coordinator or of the one
 * that takes its partitions over. Each test fails one send at one post-commit point and checks
 * that the job still finishes, exactly once, and that {@code await} sees its outcome.
 */
class OutboxIT {

    private static final Duration OUTCOME = Duration.ofSeconds(60);
    private static final Duration RECONCILE = Duration.ofMillis(500);

    /** Fails its first attempt of every item, then squares it; the reduce sums. */
    static final class FailsFirstAttempt implements MapReduceProcessor {
        @Override
        public Object process(TaskContext ctx) {
            if (ctx.attempt() == 0) {
                throw new IllegalStateException("first attempts fail");
            }
            long v = ctx.payload(Long.class);
            return v * v;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    private static FanoutCluster cluster(FailingSends sends) {
        return new FanoutCluster(4, b -> b.producerDecorator(sends).reconcileInterval(RECONCILE));
    }

    private static Predicate<ProducerRecord<byte[], byte[]>> to(String topic) {
        return r -> r.topic().equals(topic);
    }

    private static Predicate<ProducerRecord<byte[], byte[]>> finalEvent(FanoutCluster cluster, String type) {
        return r -> r.topic().equals(cluster.topics.jobEvents()) && new String(r.value(), StandardCharsets.UTF_8).contains("\"type\":\"" + type + "\"");
    }

    private static UUID squares(FanoutCluster cluster, int n, int parallelism) {
        return cluster.client().submit(JobRequests.builder("squares").items(LongStream.rangeClosed(1, n).boxed().toList(), "square")
                .parallelism(parallelism).build());
    }

    private static long sumOfSquares(int n) {
        return LongStream.rangeClosed(1, n).map(i -> i * i).sum();
    }

    /** The job succeeded with the exact result and {@code tasks} tasks (its reduce included), nothing left in flight or owed. */
    private static void assertFinishedExactly(FanoutCluster cluster, UUID job, JobEvent outcome, long result, int tasks) {
        assertFinishedExactly(cluster.db(), job, outcome, result, tasks);
    }

    private static void assertFinishedExactly(DataSource db, UUID job, JobEvent outcome, long result, int tasks) {
        assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
        assertEquals(result, outcome.result().asLong());
        assertEquals(tasks, outcome.tasks().succeeded());
        assertEquals(0, Sql.count(db, "SELECT in_flight FROM fanout_job WHERE job_id = ?", job), "attempts left in flight");
        await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_outbox") == 0);
    }

    /**
     * Issue S1: one record that cannot be sent leaves only itself owed. Before, the reconciler sent
     * its whole outbox row again at every pass, so the row's other tasks, waiting on the topic, ran
     * again each time.
     */
    @Test
    void oneUnsendableRecordLeavesOnlyItselfOwed() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            AtomicReference<UUID> doomed = new AtomicReference<>();
            sends.failWhen(r -> r.topic().equals(cluster.topics.tasks()) && doomed(doomed, WireCodec.decodeTasks(r.value()).get(0).taskId()));
            UUID job = squares(cluster, 10, 100);
            await().atMost(Duration.ofSeconds(30)).until(() -> sends.failed() >= 5); // its first send and four reconcile passes

            Map<UUID, Long> copies = recordsByTask(cluster);
            assertEquals(9, copies.size(), "all but the unsendable one are on the topic");
            assertThat(copies.values()).allMatch(n -> n <= 2, "sent by the batch and at most once more, not at every pass: " + copies);
            sends.heal();
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), sumOfSquares(10), 11);
        }
    }

    /** Whether the task is the one whose records never reach the broker: the first task seen. */
    private static boolean doomed(AtomicReference<UUID> doomed, UUID taskId) {
        doomed.compareAndSet(null, taskId);
        return doomed.get().equals(taskId);
    }

    /** How many records of each task the tasks topic holds. */
    private static Map<UUID, Long> recordsByTask(FanoutCluster cluster) {
        int all;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", cluster.bootstrap), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(cluster.topics.tasks()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            all = (int) consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
        return TopicRecords.read(cluster, cluster.topics.tasks(), all, OUTCOME).stream()
                .flatMap(r -> WireCodec.decodeTasks(r.value()).stream()).collect(Collectors.groupingBy(TaskRecord::taskId, Collectors.counting()));
    }

    @Test
    void aTaskReleasedByTheJobsParallelismWhoseSendFailedIsSentAgain() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            sends.failNth(2, to(cluster.topics.tasks())); // the first is dispatched on acceptance, the second released when it finishes
            UUID job = squares(cluster, 5, 1);
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), sumOfSquares(5), 6);
            assertEquals(1, sends.failed());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job), "no attempt was burnt");
        }
    }

    @Test
    void aTaskReleasedByTheDispatchWindowWhoseSendFailedIsSentAgain() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.producerDecorator(sends).reconcileInterval(RECONCILE).dispatchWindow(1))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            sends.failNth(2, to(cluster.topics.tasks()));
            UUID job = squares(cluster, 4, 0);
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), sumOfSquares(4), 5);
            assertEquals(1, sends.failed());
        }
    }

    @Test
    void aDueRetryWhoseSendFailedIsSentAgain() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("flaky", new FailsFirstAttempt()));
            sends.failNth(2, to(cluster.topics.tasks())); // the second send is the retry
            UUID job = cluster.client().submit(JobRequests.builder("flaky").items(List.of(7L), "square")
                    .retry(new RetryPolicy(3, Duration.ofMillis(50), 1, Duration.ofSeconds(1), 0, List.of())).build());
            JobEvent outcome = cluster.client().await(job, OUTCOME);
            assertFinishedExactly(cluster, job, outcome, 49, 2);
            assertEquals(1, sends.failed());
            assertEquals(1, Sql.count(cluster.db(), "SELECT attempt FROM fanout_task WHERE job_id = ? AND kind = ?", job, TaskKind.MAPPED.code()),
                    "the retry was sent again, not retried again");
        }
    }

    @Test
    void aFinalEventWhoseSendFailedIsSentAgainAndAwaitSeesIt() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            sends.failNth(1, finalEvent(cluster, "SUCCEEDED"));
            UUID job = squares(cluster, 3, 0);
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), sumOfSquares(3), 4);
            assertEquals(1, sends.failed());
        }
    }

    @Test
    void aDeadLetterWhoseSendFailedReachesTheDeadLetterTopic() throws Exception {
        FailingSends sends = new FailingSends();
        Processor refuses = ctx -> {
            throw new NonRetryableException("never");
        };
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("refuses", refuses));
            sends.failNth(1, to(cluster.topics.deadLetters()));
            UUID job = cluster.client().submit(JobRequests.builder("refuses").build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, OUTCOME).type());
            List<ConsumerRecord<byte[], byte[]>> letters = TopicRecords.read(cluster, cluster.topics.deadLetters(), 1, OUTCOME);
            assertThat(letters).anySatisfy(r -> assertEquals(job, WireCodec.decodeTask(r.value()).jobId()));
            assertEquals(1, sends.failed());
            await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_outbox") == 0);
        }
    }

    @Test
    void aReplayedTaskWhoseSendFailedIsSentAgain() throws Exception {
        FailingSends sends = new FailingSends();
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
        Processor sometimes = ctx -> {
            if (broken.get()) {
                throw new NonRetryableException("broken for now");
            }
            return 7;
        };
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("sometimes", sometimes));
            UUID job = cluster.client().submit(JobRequests.builder("sometimes").build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, OUTCOME).type());
            broken.set(false);
            cluster.client().follow(job);
            sends.failNth(1, to(cluster.topics.tasks()));
            List<io.fanout.shared.command.LetterResult> replayed = cluster.deadLetters().replayJob(job, "dana", false);
            assertThat(replayed).singleElement().satisfies(r -> assertThat(r.done()).isTrue());
            JobEvent outcome = cluster.client().await(job, OUTCOME);
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
            assertEquals(1, sends.failed());
            await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_outbox") == 0);
        }
    }

    /**
     * A park commits the letter PARKED and owes its record on the parking topic: a send that fails
     * after the commit is re-driven from the outbox (the letter is never parked without its record).
     */
    @Test
    void aParkedLetterWhoseParkingRecordFailedReachesTheParkingTopic() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("refuses", ctx -> {
                throw new NonRetryableException("never");
            }));
            UUID job = cluster.client().submit(JobRequests.builder("refuses").build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, OUTCOME).type());
            DeadLetters letters = cluster.deadLetters();
            long id = letters.list(new LetterQueries.Filter(job, null, null, null, 1)).get(0).id();
            sends.failNth(1, to(cluster.topics.parkedLetters()));
            assertThat(letters.park(id, "erin").done()).isTrue();
            assertEquals(DeadLetter.PARKED, letters.show(id).orElseThrow().letter().state());
            List<ConsumerRecord<byte[], byte[]>> parked = TopicRecords.read(cluster, cluster.topics.parkedLetters(), 1, OUTCOME);
            assertEquals(job.toString(), DeadLetterHeaders.text(parked.get(0).headers(), DeadLetterHeaders.JOB));
            assertEquals(1, sends.failed());
            await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_outbox") == 0);
        }
    }

    @Test
    void aReduceTaskWhoseSendFailedIsSentAgain() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("sum", new TestProcessors.SumOfSquares()));
            sends.failNth(1, r -> r.topic().equals(cluster.topics.tasks()) && WireCodec.decodeTasks(r.value()).get(0).kind() == TaskKind.REDUCE);
            UUID job = cluster.client().submit(JobRequests.builder("sum").params(Map.of("n", 50)).build());
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), TestProcessors.SumOfSquares.expected(50), 52);
            assertEquals(1, sends.failed());
        }
    }

    @Test
    void aReduceFeedWhoseSendFailedIsFedAgain() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("sum", new TestProcessors.SumOfSquares()));
            sends.failNth(1, to(cluster.topics.reduceInputs()));
            UUID job = cluster.client().submit(JobRequests.builder("sum").params(Map.of("n", 50)).build());
            assertFinishedExactly(cluster, job, cluster.client().await(job, OUTCOME), TestProcessors.SumOfSquares.expected(50), 52);
            assertEquals(1, sends.failed());
        }
    }

    @Test
    void aFinalEventACrashedCoordinatorNeverSentIsSentByTheOneThatTakesOver() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            sends.failWhen(finalEvent(cluster, "SUCCEEDED")); // from the commit on, this coordinator never gets it out
            UUID job = squares(cluster, 3, 0);
            await().atMost(OUTCOME).until(() -> "SUCCEEDED".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job)));
            Coordinator crashed = cluster.coordinator();
            crashed.close();
            cluster.startCoordinator(b -> b.reconcileInterval(Duration.ofMinutes(10))); // only its takeover pass can send it
            assertFinishedExactly(Sql.at(cluster.jdbcUrl), job, cluster.client().await(job, OUTCOME), sumOfSquares(3), 4);
            assertThat(sends.failed()).isPositive();
        }
    }

    /**
     * The tasks an outbox row owes are runs of neighbouring ids now (a map's children: one run),
     * and a row written before, with a job and an id per task, is still re-driven: both sent by the
     * coordinator that takes over from one that never got them out.
     */
    @Test
    void owedTasksAreRunsAndARowWrittenBeforeRunsIsStillReDriven() throws Exception {
        FailingSends sends = new FailingSends();
        try (FanoutCluster cluster = cluster(sends)) {
            sends.failWhen(to(cluster.topics.tasks())); // from the commit on, this coordinator never gets them out
            String owing = "SELECT count(*) FROM fanout_outbox WHERE ?::uuid = ANY (task_jobs) AND length(task_runs) > 0";
            UUID runs = squares(cluster, 40, 0);
            await().atMost(OUTCOME).until(() -> Sql.count(cluster.db(), owing, runs) == 1);
            UUID legacy = squares(cluster, 3, 0); // after: in a row of its own
            await().atMost(OUTCOME).until(() -> Sql.count(cluster.db(), owing, legacy) == 1);
            cluster.coordinator().close();
            DataSource db = Sql.at(cluster.jdbcUrl);
            assertThat(Sql.count(db, "SELECT sum(length(task_runs)) FROM fanout_outbox WHERE ?::uuid = ANY (task_jobs)", runs))
                    .as("40 owed tasks in fewer bytes than a job and a task id each").isLessThan(40 * 32);
            assertEquals(1, Sql.execute(db, """
                    UPDATE fanout_outbox SET task_runs = '', task_jobs = array_fill(?::uuid, ARRAY[3]),
                        task_ids = (SELECT array_agg(task_id) FROM fanout_task WHERE job_id = ? AND state = 'DISPATCHED')
                    WHERE ?::uuid = ANY (task_jobs)""", legacy, legacy, legacy));
            sends.heal();
            cluster.startCoordinator(b -> b.reconcileInterval(Duration.ofMinutes(10)).taskLostAfter(Duration.ofMinutes(10))); // only its takeover pass sends them
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            assertFinishedExactly(Sql.at(cluster.jdbcUrl), runs, cluster.client().await(runs, OUTCOME), sumOfSquares(40), 41);
            assertFinishedExactly(Sql.at(cluster.jdbcUrl), legacy, cluster.client().await(legacy, OUTCOME), sumOfSquares(3), 4);
        }
    }

    /**
     * A request submitted again with the same key while its tasks are still queued sends nothing
     * again: what its first acceptance owes Kafka is in the outbox, and a second dispatch would run
     * each task twice.
     */
    @Test
    void aRequestSubmittedAgainWithItsKeyDispatchesNothingTwice() throws Exception {
        java.util.concurrent.ConcurrentHashMap<Long, java.util.concurrent.atomic.AtomicInteger> runs = new java.util.concurrent.ConcurrentHashMap<>();
        Processor counted = ctx -> {
            long v = ctx.payload(Long.class);
            runs.computeIfAbsent(v, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            return v;
        };
        try (FanoutCluster cluster = cluster(new FailingSends())) {
            var request = JobRequests.builder("counted").key("nightly-2026-12-02").items(List.of(1L, 2L, 3L), "item").build();
            UUID job = cluster.client().submit(request);
            await().atMost(OUTCOME).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'DISPATCHED'",
                    job) == 3);
            assertEquals(job, cluster.client().submit(request), "the same key is the same job");
            CoordinatorProgress.awaitApplied(cluster, cluster.topics.jobs());
            cluster.startExecutor(Map.of("counted", counted));
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(job, OUTCOME).type());
            assertEquals(Map.of(1L, 1, 2L, 1, 3L, 1), Map.of(1L, runs.get(1L).get(), 2L, runs.get(2L).get(), 3L, runs.get(3L).get()),
                    "each task ran once");
        }
    }
}
