package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.DeadLetters;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A job whose tasks were dead-lettered is reopened by replaying them, and can still succeed with its reduce. */
class DeadLetterReplayIT {

    private static final int N = 100;

    /** Squares 1..N and sums them; while {@code broken}, the items ending in 7 fail for good. */
    static final class SometimesBroken implements MapReduceProcessor {
        final AtomicBoolean broken = new AtomicBoolean(true);
        final AtomicInteger reduces = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) {
            if (ctx.isRoot()) {
                return ctx.map(IntStream.rangeClosed(1, N).boxed().toList(), "square");
            }
            long i = ctx.payload(Integer.class);
            if (broken.get() && i % 10 == 7) {
                throw new NonRetryableException("item " + i + " is broken");
            }
            return i * i;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            reduces.incrementAndGet();
            return TestProcessors.sum(results);
        }
    }

    private static long sumOfSquares(boolean withSevens) {
        return IntStream.rangeClosed(1, N).filter(i -> withSevens || i % 10 != 7).mapToLong(i -> (long) i * i).sum();
    }

    @Test
    void replayingAFailedJobsDeadLettersReopensItAndItSucceedsWithItsReduce() throws Exception {
        SometimesBroken processor = new SometimesBroken();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("squares", processor));
            UUID job = cluster.client().submit(JobRequests.builder("squares").build());
            JobEvent failed = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.FAILED, failed.type());
            assertEquals(10, failed.tasks().failed());
            assertEquals(N + 1 - 10, failed.tasks().succeeded());
            assertThat(failed.error()).contains("10 of 101 tasks failed").contains("is broken");

            DeadLetters letters = cluster.deadLetters();
            List<LetterResult> dry = letters.replayJob(job, "alice", true);
            assertEquals(10, dry.size());
            assertTrue(dry.stream().allMatch(r -> !r.done() && r.outcome().startsWith("would be task")), dry.toString());
            assertEquals("FAILED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job), "a dry run changes nothing");

            processor.broken.set(false);
            cluster.client().follow(job);
            List<LetterResult> replayed = letters.replayJob(job, "alice", false);
            assertEquals(10, replayed.stream().filter(LetterResult::done).count(), replayed.toString());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(sumOfSquares(true), outcome.result().asLong());
            assertEquals(0, outcome.tasks().failed());
            assertEquals(1, processor.reduces.get());

            List<DeadLetter> after = letters.list(new LetterQueries.Filter(job, null, null, null, 100));
            assertTrue(after.stream().allMatch(l -> l.state().equals(DeadLetter.RESOLVED) && l.replayCount() == 1), after.toString());
            LetterQueries.Replay log = letters.show(after.get(0).id()).orElseThrow().replays().get(0);
            assertEquals("user alice", log.actor());
            assertThat(log.outcome()).contains("dispatched as attempt 2").contains("job reopened");
            assertFalse(letters.replay(after.get(0).id(), "alice", false).done(), "a resolved letter is not replayed again");
        }
    }

    /**
     * A replay command read twice (a coordinator that died before committing its offset, a client
     * sending again) is carried out once and answered alike; a command naming another job's letter
     * is refused whole, since it is keyed, forwarded and logged as its own job's.
     */
    @Test
    void aReplayCommandSentTwiceIsCarriedOutOnceAndOneNamingAnotherJobsLetterIsRefused() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("broken", ctx -> {
                throw new NonRetryableException("broken");
            }));
            UUID first = cluster.client().submit(JobRequests.builder("broken").build());
            UUID second = cluster.client().submit(JobRequests.builder("broken").build());
            DeadLetters letters = cluster.deadLetters();
            await().atMost(Duration.ofSeconds(30)).until(() -> letters.list(new LetterQueries.Filter(first, null, null, null, 1)).size()
                    + letters.list(new LetterQueries.Filter(second, null, null, null, 1)).size() == 2);
            long mine = letters.list(new LetterQueries.Filter(first, null, null, null, 1)).get(0).id();
            long theirs = letters.list(new LetterQueries.Filter(second, null, null, null, 1)).get(0).id();

            LetterCommand replay = LetterCommand.replay(first, List.of(mine), false, "erin");
            List<LetterResult> once = cluster.client().letters(replay, Duration.ofSeconds(30));
            assertTrue(once.get(0).done(), once.toString());
            assertEquals(once, cluster.client().letters(replay, Duration.ofSeconds(30)), "answered as the first time");
            assertEquals(1, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_replay WHERE letter_id = " + mine), "carried out once");

            List<LetterResult> refused = cluster.client().letters(LetterCommand.replay(first, List.of(theirs), false, "erin"), Duration.ofSeconds(30));
            assertFalse(refused.get(0).done());
            assertThat(refused.get(0).outcome()).contains("of job " + second);
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_replay WHERE letter_id = " + theirs));
        }
    }

    @Test
    void aJobAllowedSomeFailuresSucceedsAndAReplayRunsItsReduceAgainWithTheRepairedTasks() throws Exception {
        SometimesBroken processor = new SometimesBroken();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("squares", processor));
            UUID job = cluster.client().submit(JobRequests.builder("squares").maxFailedTasks(10).build());
            JobEvent first = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, first.type());
            assertEquals(10, first.tasks().failed());
            assertEquals(sumOfSquares(false), first.result().asLong());

            processor.broken.set(false);
            cluster.client().follow(job);
            DeadLetters letters = cluster.deadLetters();
            UUID oneTask = letters.list(new LetterQueries.Filter(job, null, null, null, 1)).get(0).taskId();
            assertEquals(10, letters.replayErrorClass(NonRetryableException.class.getName(), "bob", false).stream().filter(LetterResult::done).count());
            JobEvent second = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, second.type());
            assertEquals(sumOfSquares(true), second.result().asLong());
            assertEquals(2, processor.reduces.get(), "the reduce ran again over all results");
            assertEquals(1, Sql.count(cluster.db(), "SELECT attempt FROM fanout_task WHERE job_id = ? AND task_id = ?", job, oneTask));
        }
    }

    /** Like {@link SometimesBroken}; the first two reduces (the discarded one and its successor) wait until they are let go. */
    static final class HeldReduces implements MapReduceProcessor {
        final SometimesBroken squares = new SometimesBroken();
        final AtomicInteger reduceCalls = new AtomicInteger();
        final CountDownLatch firstStarted = new CountDownLatch(1);
        final CountDownLatch letFirstGo = new CountDownLatch(1);
        final CountDownLatch firstReturned = new CountDownLatch(1);
        final CountDownLatch secondStarted = new CountDownLatch(1);
        final CountDownLatch letSecondGo = new CountDownLatch(1);
        final CountDownLatch letRepairedGo = new CountDownLatch(1);

        @Override
        public Object process(TaskContext ctx) throws Exception {
            if (!ctx.isRoot() && !squares.broken.get()) {
                letRepairedGo.await();
            }
            return squares.process(ctx);
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) throws Exception {
            int call = reduceCalls.getAndIncrement();
            if (call == 0) {
                firstStarted.countDown();
                letFirstGo.await();
                try {
                    return squares.reduce(ctx, results);
                } finally {
                    firstReturned.countDown();
                }
            }
            if (call == 1) {
                secondStarted.countDown();
                letSecondGo.await();
            }
            return squares.reduce(ctx, results);
        }
    }

    /**
     * A replay while the job reduces (its failures were within maxFailedTasks): the reduce under way
     * is discarded, the job runs again, and reduces over the repaired results. The discarded reduce
     * reports its (stale) result while its successor runs: that report must not end the job. It
     * used to fail the job with "0 of N tasks failed", and then to end it with the stale result.
     */
    @Test
    void replayingWhileTheJobReducesRunsItAgainAndReducesOverTheRepairedResults() throws Exception {
        HeldReduces processor = new HeldReduces();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("squares", processor), b -> b.concurrency(8));
            UUID job = cluster.client().submit(JobRequests.builder("squares").maxFailedTasks(10).build());
            assertTrue(processor.firstStarted.await(1, TimeUnit.MINUTES), "the first reduce started");
            assertEquals("REDUCING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));

            processor.squares.broken.set(false);
            DeadLetters letters = cluster.deadLetters();
            assertEquals(10, letters.replayJob(job, "carol", false).stream().filter(LetterResult::done).count());
            assertEquals("RUNNING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job), "reopened to run the replayed tasks");
            assertEquals(10, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job),
                    "the replayed tasks are in flight, the discarded reduce no longer (issue C2: it stayed counted, and a job at its parallelism hung)");
            processor.letRepairedGo.countDown();
            assertTrue(processor.secondStarted.await(1, TimeUnit.MINUTES), "the job reduces again");
            CoordinatorProgress.awaitApplied(cluster, cluster.topics.status());

            long statuses = CoordinatorProgress.recordsIn(cluster, cluster.topics.status());
            processor.letFirstGo.countDown();
            assertTrue(processor.firstReturned.await(1, TimeUnit.MINUTES));
            await().atMost(Duration.ofSeconds(30)).until(() -> CoordinatorProgress.recordsIn(cluster, cluster.topics.status()) > statuses);
            CoordinatorProgress.awaitApplied(cluster, cluster.topics.status());
            assertEquals("REDUCING", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job),
                    "the discarded reduce's report does not end the job");

            processor.letSecondGo.countDown();
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
            assertEquals(sumOfSquares(true), outcome.result().asLong());
            assertEquals(0, outcome.tasks().failed());
            assertEquals(0, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));
        }
    }
}
