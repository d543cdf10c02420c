package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.RetentionPolicy;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.command.CommandResult;
import io.fanout.shared.command.RunCommand;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.Workflows;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** Finished jobs, letters, runs, rejected requests and audit entries are deleted once their retention has passed, and nothing else is. */
class RetentionIT {

    private static final List<Long> ITEMS = IntStream.rangeClosed(1, 120).mapToObj(i -> (long) i).toList();
    private static final long SUM_OF_SQUARES = IntStream.rangeClosed(1, 120).mapToLong(i -> (long) i * i).sum();

    /** Retention rounds every 100 ms, in batches of 50 rows, with the given installation defaults. */
    private static FanoutCluster cluster(Duration jobs, Duration letters, Duration audit) {
        return new FanoutCluster(4, b -> b.retention(new RetentionPolicy(jobs, letters, audit, Duration.ofMillis(100), 50, Duration.ofSeconds(15)))
                .reconcileInterval(Duration.ofSeconds(1)));
    }

    /** Returns its item once the gate opens. */
    private static Processor gatedOn(CountDownLatch gate) {
        return ctx -> {
            gate.await();
            return ctx.payload(Long.class);
        };
    }

    @Test
    void aJobIsDeletedWithItsTasksOnceItsOwnTtlHasPassedWhileOpenJobsAndJobsOnTheDefaultKeepEveryRow() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Processor gated = gatedOn(gate);
        try (FanoutCluster cluster = cluster(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems(), "gated", gated), b -> b.concurrency(4));
            DataSource db = cluster.db();
            UUID open = cluster.client().submit(JobRequests.builder("gated").items(ITEMS, "wait").parallelism(1).ttlAfterFinished(Duration.ZERO).build());
            UUID kept = cluster.client().submit(JobRequests.builder("squares").items(ITEMS, "square").build());
            UUID brief = cluster.client().submit(JobRequests.builder("squares").items(ITEMS, "square").ttlAfterFinished(Duration.ofMillis(500)).build());
            assertEquals(SUM_OF_SQUARES, cluster.client().await(brief, Duration.ofSeconds(60)).result().asLong());
            assertEquals(SUM_OF_SQUARES, cluster.client().await(kept, Duration.ofSeconds(60)).result().asLong());

            // 121 task rows (120 items and the reduce) go in batches of 50, after the job row
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", brief) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_purge") == 0);
            assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", brief));
            assertEquals(121, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", kept), "a job on the 7-day default keeps its rows");
            assertEquals("SUCCEEDED", Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", kept));
            assertEquals("RUNNING", Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", open), "a running job is never deleted");
            assertEquals(120, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", open));

            cluster.client().follow(open);
            gate.countDown();
            JobEvent outcome = cluster.client().await(open, Duration.ofSeconds(60));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), outcome.toString());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", open) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", open) == 0);
        }
    }

    /**
     * Issue S5: executors remember a cancelled job's id for a day; a job deleted by retention and
     * submitted again under its id must not be taken for the cancelled one (its tasks would all be
     * reported CANCELLED and the job would never end).
     */
    @Test
    void aCancelledJobDeletedByRetentionAndSubmittedAgainUnderItsIdRunsToItsEnd() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Processor gated = gatedOn(gate);
        try (FanoutCluster cluster = cluster(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems(), "gated", gated), b -> b.concurrency(4));
            DataSource db = cluster.db();
            UUID job = UUID.randomUUID();
            cluster.client().submit(JobRequests.builder("gated").id(job).items(ITEMS, "wait").ttlAfterFinished(Duration.ZERO).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'RUNNING'", job) > 0);
            assertTrue(cluster.client().cancel(job, "test", Duration.ofSeconds(30)).done());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_purge") == 0);
            gate.countDown();

            cluster.client().submit(JobRequests.builder("squares").id(job).items(ITEMS, "square").build());
            await().atMost(Duration.ofSeconds(60)).until(() -> "SUCCEEDED".equals(Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", job)));
            assertEquals(121, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
            assertEquals(String.valueOf(SUM_OF_SQUARES), Sql.text(db, "SELECT result_json FROM fanout_job WHERE job_id = ?", job));
        }
    }

    /**
     * Issue C3: a request sent again and again while retention deletes its job (TTL 0) is, each
     * time, ignored as a duplicate, refused while the old tasks are removed, or stored anew with all
     * its tasks; it never leaves an open job without tasks behind (as when intake and retention
     * were two writers).
     */
    @Test
    void aRequestSentAgainAndAgainWhileRetentionDeletesItsJobNeverLeavesAnOpenJobBehind() throws Exception {
        try (FanoutCluster cluster = cluster(Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()), b -> b.concurrency(4));
            DataSource db = cluster.db();
            UUID job = UUID.randomUUID();
            JobRequest request = JobRequests.builder("squares").id(job).items(ITEMS, "square").ttlAfterFinished(Duration.ZERO).build();
            int lives = 0;
            boolean present = false;
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                cluster.client().submit(request);
                boolean now = Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 1;
                lives += now && !present ? 1 : 0;
                present = now;
            }
            assertTrue(lives >= 2, "the job was deleted and stored again while the request kept coming (" + lives + " lives)");
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ? AND state IN ("
                    + JobState.sqlList(JobState.OPEN) + ")", job) == 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", job) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == 0);
        }
    }

    /**
     * Issue C6: a failed workflow run retried by an operator just as retention deletes it is either
     * gone (the retry says there is no such run) or retried whole: the retry's answer is true, and
     * the run it reopened is not deleted under it. The retries come 0.85 to 1.15 s after the run
     * failed, around its 1-second retention.
     */
    @Test
    void aWorkflowRunRetriedAsRetentionDeletesItIsEitherGoneOrRetriedWhole() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        Processor failing = ctx -> {
            ran.incrementAndGet();
            throw new NonRetryableException("fails every time");
        };
        try (FanoutCluster cluster = cluster(Duration.ofSeconds(1), Duration.ofDays(30), Duration.ofDays(90))) {
            cluster.startExecutor(Map.of("failing", failing));
            DataSource db = cluster.db();
            WorkflowDefinition def = Workflows.define("retried-" + UUID.randomUUID()).node("a", JobRequests.builder("failing").build()).build();
            UUID run = cluster.client().run(Workflows.run(def, null));
            int retried = 0;
            for (long waitMillis = 850; ; waitMillis += 50) {
                long wait = Math.min(waitMillis, 1150);
                await().atMost(Duration.ofSeconds(60)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_workflow_run WHERE run_id = ? "
                        + "AND (finished_at IS NULL OR finished_at > now() - ? * interval '1 millisecond')", run, wait) == 0);
                int before = ran.get();
                CommandResult answer = cluster.client().command(RunCommand.retry(run, null, "test"), Duration.ofSeconds(30));
                if (!answer.done()) {
                    assertEquals("no workflow run " + run, answer.message());
                    assertEquals(0, Sql.count(db, "SELECT count(*) FROM fanout_workflow_run WHERE run_id = ?", run));
                    break;
                }
                retried++;
                // the run it reopened runs its node again and fails again, still there: retention waits for its new end
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> ran.get() > before);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> "FAILED".equals(
                        Sql.text(db, "SELECT CASE WHEN finished_at IS NULL THEN 'OPEN' ELSE state END FROM fanout_workflow_run WHERE run_id = ?", run)));
            }
            assertTrue(retried >= 1, "at least one retry came before the run was deleted");
        }
    }

    @Test
    void theInstallationDefaultsDeleteJobsLettersRejectedRequestsAndAuditEntriesButKeepWhatIsStillNeeded() throws Exception {
        Processor failing = ctx -> {
            throw new IllegalStateException("always fails");
        };
        try (FanoutCluster cluster = cluster(Duration.ofSeconds(1), Duration.ofHours(1), Duration.ofSeconds(1))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems(), "failing", failing));
            DataSource db = cluster.db();
            UUID lettered = cluster.client().submit(JobRequests.builder("failing").items(List.of(1L), "fail")
                    .retry(new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO, 0, List.of())).build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(lettered, Duration.ofSeconds(60)).type());
            UUID scheduled = UUID.randomUUID(); // a schedule's last run, recorded before it runs, as the scheduler does
            Sql.execute(db, "INSERT INTO fanout_schedule (name, cron, zone, request, concurrency_policy, next_fire_at, last_job_id) "
                    + "VALUES ('nightly', '0 0 * * *', 'UTC', '{}', 'ALLOW', now() + interval '1 day', ?)", scheduled);
            cluster.client().submit(JobRequests.builder("squares").id(scheduled).items(ITEMS, "square").build());
            cluster.client().await(scheduled, Duration.ofSeconds(60));
            UUID plain = cluster.client().submit(JobRequests.builder("squares").items(ITEMS, "square").build());
            cluster.client().await(plain, Duration.ofSeconds(60));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrap),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(cluster.topics.jobs(), "not a job request".getBytes())).get();
            }
            Sql.execute(db, "INSERT INTO fanout_audit (actor, action, outcome) VALUES ('alice', 'cancel', 'done')");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Sql.count(db, "SELECT count(*) FROM fanout_rejected_request") == 1); // stored, before it goes
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_dead_letter WHERE job_id = ?", lettered) == 1);

            // the default (1 s) deletes the plain job, the rejected request and the audit entry
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", plain) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", plain) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_rejected_request") == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_audit") == 0);
            assertEquals("SUCCEEDED", Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", scheduled), "a schedule's last job is kept");
            assertEquals("FAILED", Sql.text(db, "SELECT state FROM fanout_job WHERE job_id = ?", lettered), "a job whose letter waits for a replay is kept");
            assertEquals(1, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", lettered));

            // once the letter is older than its own retention (1 h), it goes, and then its job; but not while the outbox still owes a
            // record of it (issue S6): here its parking record, as a park whose send was lost leaves it, which the reconciler sends first
            long letter = Sql.count(db, "SELECT id FROM fanout_dead_letter WHERE job_id = ?", lettered);
            Sql.execute(db, "INSERT INTO fanout_outbox (owner_partition, letter_parks) SELECT owner_partition, ARRAY[id] FROM fanout_dead_letter WHERE id = ?",
                    letter);
            Sql.execute(db, "UPDATE fanout_dead_letter SET failed_at = now() - interval '2 hours' WHERE job_id = ?", lettered);
            ConsumerRecord<byte[], byte[]> parked = TopicRecords.read(cluster, cluster.topics.parkedLetters(), 1, Duration.ofSeconds(60)).get(0);
            assertEquals(lettered.toString(), DeadLetterHeaders.text(parked.headers(), DeadLetterHeaders.JOB), "the letter was there to be sent");
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_dead_letter WHERE job_id = ?", lettered) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", lettered) == 0
                    && Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", lettered) == 0);
            assertEquals(121, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", scheduled));

            Sql.execute(db, "DELETE FROM fanout_schedule WHERE name = 'nightly'");
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_job WHERE job_id = ?", scheduled) == 0);
        }
    }

    @Test
    void aRequestForAJobWhoseTasksAreStillBeingRemovedIsRejectedSayingToSendItAgain() throws Exception {
        // retention rounds an hour apart (the first an hour after the start), so nothing empties the queue meanwhile
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.retention(new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30),
                Duration.ofDays(90), Duration.ofHours(1), 50, Duration.ofSeconds(15))))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            UUID job = UUID.randomUUID();
            Sql.execute(cluster.db(), "INSERT INTO fanout_purge (job_id) VALUES (?)", job); // as retention leaves a job it has just deleted
            cluster.client().submit(JobRequests.builder("squares").id(job).items(ITEMS, "square").build());
            JobEvent refused = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.REJECTED, refused.type());
            assertTrue(refused.reason().contains("deleted by retention a moment ago") && refused.reason().contains("submit it again shortly"),
                    refused.reason());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ?", job), "no task was stored for it");
        }
    }
}
