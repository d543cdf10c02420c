package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.RetryLaterException;
import io.fanout.executor.api.TaskContext;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import io.fanout.shared.wire.TaskRecord;
import io.fanout.shared.wire.WireCodec;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Failed attempts are retried under the job's policy; what cannot be retried becomes a dead letter. */
class RetryIT {

    /** Fails its first {@code failures} attempts, recording when each attempt started and ended. */
    static final class Flaky implements Processor {
        record Attempt(int attempt, long start, long end) {
        }

        final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        private final int failures;

        Flaky(int failures) {
            this.failures = failures;
        }

        @Override
        public Object process(TaskContext ctx) throws Exception {
            long start = System.currentTimeMillis();
            try {
                if (ctx.attempt() < failures) {
                    throw new IOException("attempt " + ctx.attempt() + " fails");
                }
                return "ok on attempt " + ctx.attempt();
            } finally {
                attempts.add(new Attempt(ctx.attempt(), start, System.currentTimeMillis()));
            }
        }
    }

    private static RetryPolicy policy(int maxAttempts, long initialMs, double multiplier) {
        return new RetryPolicy(maxAttempts, Duration.ofMillis(initialMs), multiplier, Duration.ofMinutes(1), 0, List.of());
    }

    @Test
    void failedAttemptsAreRetriedAfterTheirBackoffAndTheJobSucceeds() throws Exception {
        Flaky flaky = new Flaky(2);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("flaky", flaky));
            UUID job = cluster.client().submit(JobRequests.builder("flaky").retry(policy(3, 300, 2)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals("ok on attempt 2", outcome.result().asText());
            List<Flaky.Attempt> a = List.copyOf(flaky.attempts);
            assertEquals(List.of(0, 1, 2), a.stream().map(Flaky.Attempt::attempt).toList());
            assertThat(a.get(1).start() - a.get(0).end()).as("wait after the first failure").isGreaterThanOrEqualTo(300).isLessThan(3_000);
            assertThat(a.get(2).start() - a.get(1).end()).as("wait after the second failure").isGreaterThanOrEqualTo(600).isLessThan(3_000);
            assertEquals(2, Sql.count(cluster.db(), "SELECT attempt FROM fanout_task WHERE job_id = ?", job));
            assertEquals("java.io.IOException", Sql.text(cluster.db(), "SELECT error_class FROM fanout_task WHERE job_id = ?", job),
                    "the last error is kept with the task");
        }
    }

    @Test
    void aRetryWaitsForItsDueTimeOnTheCoordinatorsClock() throws Exception {
        OffsetClock clock = new OffsetClock();
        Flaky flaky = new Flaky(1);
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.clock(clock))) {
            cluster.startExecutor(Map.of("flaky", flaky));
            Instant submitted = Instant.now();
            RetryPolicy hourly = new RetryPolicy(2, Duration.ofHours(1), 2, Duration.ofHours(2), 0, List.of());
            UUID job = cluster.client().submit(JobRequests.builder("flaky").retry(hourly).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> "RETRY_WAIT".equals(Sql.text(cluster.db(), "SELECT state FROM fanout_task WHERE job_id = ?", job)));
            Instant due = Instant.parse(Sql.text(cluster.db(), "SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                    + "FROM fanout_task WHERE job_id = ?", job));
            assertThat(Duration.between(submitted, due)).isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
            assertEquals(1, flaky.attempts.size(), "nothing runs before the due time");
            clock.advance(Duration.ofHours(1));
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(2, flaky.attempts.size());
        }
    }

    @Test
    void aRetryLaterExceptionSetsTheWait() throws Exception {
        Queue<Long> starts = new ConcurrentLinkedQueue<>();
        Processor later = ctx -> {
            starts.add(System.currentTimeMillis());
            if (ctx.attempt() == 0) {
                throw new RetryLaterException(Duration.ofMillis(800), "rate limited");
            }
            return "done";
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("later", later));
            UUID job = cluster.client().submit(JobRequests.builder("later").retry(policy(3, 1, 1)).build());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(job, Duration.ofMinutes(1)).type());
            List<Long> s = List.copyOf(starts);
            assertThat(s.get(1) - s.get(0)).isGreaterThanOrEqualTo(800);
        }
    }

    @Test
    void aNonRetryableFailureGoesStraightToTheDeadLetterTopicWithItsReasons() throws Exception {
        Queue<Integer> attempts = new ConcurrentLinkedQueue<>();
        Processor refuses = ctx -> {
            attempts.add(ctx.attempt());
            throw new NonRetryableException("order 42 does not exist");
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("refuses", refuses), b -> b.executorId("exec-a"));
            UUID job = cluster.client().submit(JobRequests.builder("refuses").retry(policy(5, 10, 1)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.FAILED, outcome.type());
            assertEquals(1, outcome.tasks().failed());
            assertEquals(List.of(0), List.copyOf(attempts), "no second attempt");

            ConsumerRecord<byte[], byte[]> letter = TopicRecords.read(cluster, cluster.topics.deadLetters(), 1, Duration.ofSeconds(30)).get(0);
            TaskRecord original = WireCodec.decodeTask(letter.value());
            assertEquals(job, original.jobId());
            assertEquals(NonRetryableException.class.getName(), DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.EXCEPTION_FQCN));
            assertEquals("order 42 does not exist", DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.EXCEPTION_MESSAGE));
            assertThat(DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.EXCEPTION_STACKTRACE)).contains("RetryIT");
            assertEquals(cluster.topics.tasks(), DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.ORIGINAL_TOPIC));
            assertThat(DeadLetterHeaders.originalPartition(letter.headers())).isBetween(0, 3);
            assertThat(DeadLetterHeaders.originalOffset(letter.headers())).isGreaterThanOrEqualTo(0);
            assertEquals("NON_RETRYABLE", DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.REASON));
            assertEquals(job.toString(), DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.JOB));
            assertEquals("1", DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.ATTEMPTS));
            assertEquals("exec-a", DeadLetterHeaders.text(letter.headers(), DeadLetterHeaders.EXECUTOR));

            DeadLetter indexed = cluster.deadLetters().list(new LetterQueries.Filter(job, null, null, null, 10)).get(0);
            assertEquals(NonRetryableException.class.getName(), indexed.errorClass());
            assertEquals(original.taskId(), indexed.taskId());
            assertEquals(DeadLetter.DEAD, indexed.state());
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.deadLetters().show(indexed.id()).orElseThrow().letter().dltOffset() != null);
        }
    }

    @Test
    void exceptionClassesTheJobListsAreNotRetriedNorAreTheirSubclasses() throws Exception {
        Queue<Integer> attempts = new ConcurrentLinkedQueue<>();
        Processor parses = ctx -> {
            attempts.add(ctx.attempt());
            return Integer.parseInt("not a number"); // NumberFormatException extends IllegalArgumentException
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("parses", parses));
            RetryPolicy p = new RetryPolicy(4, Duration.ofMillis(10), 1, Duration.ofSeconds(1), 0, List.of(IllegalArgumentException.class.getName()));
            UUID job = cluster.client().submit(JobRequests.builder("parses").retry(p).build());
            assertEquals(JobEvent.Type.FAILED, cluster.client().await(job, Duration.ofMinutes(1)).type());
            assertEquals(List.of(0), List.copyOf(attempts));
            assertEquals("NON_RETRYABLE", Sql.text(cluster.db(), "SELECT reason FROM fanout_dead_letter WHERE job_id = ?", job));
        }
    }

    @Test
    void aTaskThatFailsEveryAttemptIsDeadLetteredOnceItsAttemptsAreUsedUp() throws Exception {
        Flaky flaky = new Flaky(Integer.MAX_VALUE);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("flaky", flaky));
            UUID job = cluster.client().submit(JobRequests.builder("flaky").retry(policy(3, 10, 1)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.FAILED, outcome.type());
            assertThat(outcome.error()).contains("java.io.IOException: attempt 2 fails");
            assertEquals(3, flaky.attempts.size());
            assertEquals("ATTEMPTS_EXHAUSTED", Sql.text(cluster.db(), "SELECT reason FROM fanout_dead_letter WHERE job_id = ?", job));
            assertEquals(3, Sql.count(cluster.db(), "SELECT attempts FROM fanout_dead_letter WHERE job_id = ?", job));
        }
    }

    @Test
    void attemptsSurviveACoordinatorRestart() throws Exception {
        Flaky flaky = new Flaky(2);
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("flaky", flaky));
            // waits 200 ms after the first failure and 4 s after the second: the restart happens during the second wait
            UUID job = cluster.client().submit(JobRequests.builder("flaky").retry(policy(3, 200, 20)).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'RETRY_WAIT' AND attempt = 2", job) == 1);
            cluster.restartCoordinator();
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(List.of(0, 1, 2), flaky.attempts.stream().map(Flaky.Attempt::attempt).toList(), "each attempt ran once");
        }
    }
}
