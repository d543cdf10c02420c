package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.wire.StatusEvent;
import io.fanout.shared.wire.StatusMessage.StatusBatch;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Attempts that run too long, executors that go silent, and jobs past their deadline. */
class TimeoutIT {

    private static final RetryPolicy QUICK = new RetryPolicy(3, Duration.ofMillis(50), 1, Duration.ofSeconds(1), 0, List.of());

    @Test
    void anAttemptPastItsTimeoutIsInterruptedReportedTimedOutAndRetried() throws Exception {
        AtomicInteger interrupted = new AtomicInteger();
        Processor slowFirst = ctx -> {
            if (ctx.attempt() == 0) {
                try {
                    Thread.sleep(Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    throw e;
                }
            }
            return "attempt " + ctx.attempt();
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("slow-first", slowFirst));
            UUID job = cluster.client().submit(JobRequests.builder("slow-first").retry(QUICK).taskTimeout(Duration.ofMillis(500)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("attempt 1", outcome.result().asText());
            // the watchdog reports the timeout first, then interrupts the worker
            await().atMost(Duration.ofSeconds(10)).until(() -> interrupted.get() == 1);
            assertEquals("io.fanout.TaskTimedOut", Sql.text(cluster.db(), "SELECT error_class FROM fanout_task WHERE job_id = ?", job));
        }
    }

    @Test
    void aTaskWhoseExecutorWentSilentIsPresumedLostAndDispatchedAgain() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(1)))) {
            UUID job = cluster.client().submit(JobRequests.builder("greet-later").retry(QUICK).build());
            takeAndVanish(cluster);
            cluster.startExecutor(Map.of("greet-later", ctx -> "hello from attempt " + ctx.attempt()), b -> b.heartbeatInterval(Duration.ofMillis(200)));
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("hello from attempt 1", outcome.result().asText());
            assertEquals("io.fanout.TaskLost", Sql.text(cluster.db(), "SELECT error_class FROM fanout_task WHERE job_id = ?", job));
            assertThat(Sql.text(cluster.db(), "SELECT error_message FROM fanout_task WHERE job_id = ?", job)).contains("ghost-executor");
        }
    }

    /**
     * Issue C4: a coordinator that takes a partition over watches the running tasks of its
     * suspended jobs too. Here the executor running the task vanished and the job was suspended
     * before the takeover: the new owner presumes the task lost, and once the job is resumed it runs
     * again and the job ends (before the fix, the task stayed RUNNING for ever and the job never ended).
     */
    @Test
    void aTakeoverWatchesTheRunningTasksOfASuspendedJob() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(8)))) {
            UUID job = cluster.client().submit(JobRequests.builder("greet-later").retry(QUICK).build());
            takeAndVanish(cluster);
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_task WHERE job_id = ?", job)));
            assertThat(cluster.client().suspend(job, "test", Duration.ofSeconds(30)).done()).isTrue();
            cluster.restartCoordinator(); // within task-lost-after: the first owner has not given the task up yet

            await().atMost(Duration.ofSeconds(60)).until(() -> "io.fanout.TaskLost".equals(
                    Sql.text(cluster.db(), "SELECT coalesce(error_class, '') FROM fanout_task WHERE job_id = ?", job)));
            cluster.client().follow(job);
            assertThat(cluster.client().resume(job, "test", Duration.ofSeconds(30)).done()).isTrue();
            cluster.startExecutor(Map.of("greet-later", ctx -> "hello from attempt " + ctx.attempt()));
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("hello from attempt 1", outcome.result().asText());
        }
    }

    /**
     * Issue S3: a housekeeping step that fails on every round holds no other back. Here PostgreSQL
     * refuses every deadline expiry (a trigger in this test's own database) of a job whose tasks
     * nobody takes; a job submitted afterwards still gets its retry dispatched and succeeds (before,
     * the failing first step ended each round, and no retry was ever dispatched).
     */
    @Test
    void aHousekeepingStepThatKeepsFailingHoldsNoOtherBack() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(2, java.util.Set.of(), Map.of("nobody", 1), b -> { })) {
            Sql.execute(cluster.db(), "CREATE FUNCTION refuse_expiry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    + "IF NEW.error LIKE 'deadline passed at %' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
            Sql.execute(cluster.db(), "CREATE TRIGGER refuse_expiry BEFORE UPDATE ON fanout_job FOR EACH ROW EXECUTE FUNCTION refuse_expiry()");
            UUID stuck = cluster.client().submit(JobRequests.builder("greet").pool("nobody").deadline(Duration.ofMillis(500)).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_job WHERE job_id = ? AND deadline_at < now() - interval '1 second'", stuck) == 1);

            cluster.startExecutor(Map.of("flaky", ctx -> {
                if (ctx.attempt() == 0) {
                    throw new IllegalStateException("first attempt fails");
                }
                return "attempt " + ctx.attempt();
            }));
            UUID retried = cluster.client().submit(JobRequests.builder("flaky").retry(QUICK).build());
            JobEvent outcome = cluster.client().await(retried, Duration.ofSeconds(30));
            assertEquals("attempt 1", outcome.result().asText(), outcome.toString());
            assertEquals("RUNNING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", stuck), "its expiry is still refused");
        }
    }

    /**
     * An executor that takes the task, commits its offset, says it is running it, and is never
     * heard of again: without the coordinator noticing, the task would wait forever.
     */
    private static void takeAndVanish(FanoutCluster cluster) {
        try (KafkaConsumer<byte[], byte[]> ghost = new KafkaConsumer<>(Map.of("bootstrap.servers", cluster.bootstrap, "group.id",
                cluster.executorGroup(), "auto.offset.reset", "earliest", "enable.auto.commit", false), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap), new ByteArraySerializer(),
                     new ByteArraySerializer())) {
            ghost.subscribe(List.of(cluster.topics.tasks()));
            ConsumerRecord<byte[], byte[]>[] taken = new ConsumerRecord[1];
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                ghost.poll(Duration.ofMillis(100)).forEach(r -> taken[0] = r);
                return taken[0] != null;
            });
            ghost.commitSync();
            TaskRecord t = WireCodec.decodeTask(taken[0].value());
            long now = System.currentTimeMillis();
            StatusBatch claim = new StatusBatch(t.jobId(), "ghost-executor", List.of(StatusEvent.received(t.taskId(), t.attempt(), now),
                    StatusEvent.running(t.taskId(), t.attempt(), now)));
            producer.send(new ProducerRecord<>(cluster.topics.status(), t.statusPartition(), t.jobId().toString().getBytes(StandardCharsets.UTF_8),
                    WireCodec.encodeStatus(claim)));
        }
    }

    @Test
    void heartbeatsKeepALongTaskAlive() throws Exception {
        Processor slow = ctx -> {
            Thread.sleep(3_000);
            return "done at attempt " + ctx.attempt();
        };
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(1)))) {
            cluster.startExecutor(Map.of("slow", slow), b -> b.heartbeatInterval(Duration.ofMillis(200)));
            UUID job = cluster.client().submit(JobRequests.builder("slow").retry(QUICK).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals("done at attempt 0", outcome.result().asText(), "never presumed lost while its executor reports it");
        }
    }

    @Test
    void aJobPastItsDeadlineFailsAndItsRemainingTasksAreCancelledAndStopped() throws Exception {
        AtomicInteger interrupted = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        Processor forever = ctx -> {
            try {
                Thread.sleep(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
            finished.incrementAndGet();
            return null;
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("forever", forever), b -> b.concurrency(4));
            UUID job = cluster.client().submit(JobRequests.builder("forever").items(IntStream.range(0, 20).boxed().toList(), "wait")
                    .deadline(Duration.ofSeconds(2)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.FAILED, outcome.type());
            assertThat(outcome.error()).contains("deadline passed").contains("0 of 20 tasks done");
            assertEquals(20, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = ?", job, TaskState.CANCELLED.name()));
            await().atMost(Duration.ofSeconds(10)).until(() -> interrupted.get() == 4);
            assertEquals(0, finished.get());
        }
    }
}
