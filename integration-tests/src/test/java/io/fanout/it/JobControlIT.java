package io.fanout.it;

import io.fanout.shared.command.CommandResult;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.MapReduceProcessor;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.executor.api.TaskResults;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Cancel, suspend and resume a job while it runs: commands on the jobs topic, carried out by the job's coordinator. */
class JobControlIT {

    static final Duration ANSWER = Duration.ofSeconds(30);

    @Test
    void cancellingAJobInterruptsItsRunningTasksAndStartsNoneOfTheOthers() throws Exception {
        AtomicInteger started = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        Processor slow = ctx -> {
            started.incrementAndGet();
            try {
                Thread.sleep(Duration.ofMinutes(1));
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
            return null;
        };
        try (FanoutCluster cluster = new FanoutCluster()) {
            FanoutExecutor executor = cluster.startExecutor(Map.of("slow", slow), b -> b.concurrency(4));
            UUID job = cluster.client().submit(JobRequests.builder("slow").items(IntStream.range(0, 20).boxed().toList(), "wait").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> started.get() == 4);

            CommandResult r = cluster.client().cancel(job, "alice", ANSWER);
            assertTrue(r.done(), r.message());
            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.CANCELLED, outcome.type());
            assertEquals("cancelled by alice", outcome.error());

            await().atMost(Duration.ofSeconds(30)).until(() -> interrupted.get() == 4 && executor.inFlight() == 0);
            assertEquals(4, started.get(), "no task of the cancelled job started after the cancel");
            assertEquals(20, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'CANCELLED'", job));
            assertEquals("CANCELLED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job), "nothing of a cancelled job is in flight");

            CommandResult again = cluster.client().cancel(job, "alice", ANSWER);
            assertFalse(again.done());
            assertTrue(again.found());
            assertTrue(again.message().contains("is CANCELLED"), again.message());
            assertFalse(cluster.client().resume(UUID.randomUUID(), "alice", ANSWER).found());
        }
    }

    /** The root waits for the test, then maps N squares; the reduce sums them. */
    static final class GatedSquares implements MapReduceProcessor {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger squares = new AtomicInteger();

        @Override
        public Object process(TaskContext ctx) throws Exception {
            if (ctx.isRoot()) {
                gate.await();
                return ctx.map(IntStream.rangeClosed(1, 100).boxed().toList(), "square");
            }
            squares.incrementAndGet();
            long i = ctx.payload(Integer.class);
            return i * i;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    @Test
    void aSuspendedJobHoldsItsNewTasksUntilItIsResumed() throws Exception {
        GatedSquares processor = new GatedSquares();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("gated", processor));
            UUID job = cluster.client().submit(JobRequests.builder("gated").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> "RUNNING".equals(Sql.text(cluster.db(),
                    "SELECT state FROM fanout_task WHERE job_id = ? AND parent_id IS NULL", job)));

            assertTrue(cluster.client().suspend(job, "bob", ANSWER).done());
            processor.gate.countDown(); // the root maps its 100 subtasks now
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'CREATED'", job) == 100);
            assertEquals("SUSPENDED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            assertEquals(0, processor.squares.get(), "held tasks are not dispatched");

            cluster.client().follow(job);
            CommandResult resumed = cluster.client().resume(job, "bob", ANSWER);
            assertTrue(resumed.message().contains("100 held tasks dispatched"), resumed.message());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(IntStream.rangeClosed(1, 100).mapToLong(i -> (long) i * i).sum(), outcome.result().asLong());
            assertEquals(100, processor.squares.get());
        }
    }

    /** Squares 1..n from a mapped job, each subtask taking a millisecond, counting how often each item ran. */
    static final class CountedSquares implements MapReduceProcessor {
        final Map<Integer, Integer> runs = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public Object process(TaskContext ctx) throws Exception {
            if (ctx.isRoot()) {
                int n = ctx.params(TestProcessors.SumOfSquares.Params.class).n();
                return ctx.map(IntStream.rangeClosed(1, n).boxed().toList(), "square");
            }
            int i = ctx.payload(Integer.class);
            Thread.sleep(1);
            runs.merge(i, 1, Integer::sum);
            return (long) i * i;
        }

        @Override
        public Object reduce(TaskContext ctx, TaskResults results) {
            return TestProcessors.sum(results);
        }
    }

    @Test
    void suspendingALargeMapJobStopsItsTasksEverywhereAndResumingFinishesItExactly() throws Exception {
        int n = 20_000;
        CountedSquares processor = new CountedSquares();
        try (FanoutCluster cluster = new FanoutCluster()) {
            cluster.startExecutor(Map.of("counted", processor), b -> b.concurrency(4));
            cluster.startExecutor(Map.of("counted", processor), b -> b.concurrency(4));
            UUID job = cluster.client().submit(JobRequests.builder("counted").params(new TestProcessors.SumOfSquares.Params(n)).build());
            await().atMost(Duration.ofSeconds(60)).until(() -> processor.runs.size() >= 2_000);

            assertTrue(cluster.client().suspend(job, "carol", ANSWER).done());
            // every subtask was dispatched before the suspend; within seconds none starts any more
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofSeconds(2)).until(new java.util.concurrent.Callable<Boolean>() {
                int last = -1;

                @Override
                public Boolean call() {
                    int now = processor.runs.size();
                    boolean still = now == last;
                    last = now;
                    return still;
                }
            });
            int atSuspend = processor.runs.size();
            assertTrue(atSuspend < n, "the job stopped before its end: " + atSuspend + " of " + n + " ran");
            assertEquals("SUSPENDED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));
            // the tasks handed back wait in the coordinator, once their statuses have made the round trip
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task_held WHERE job_id = ?", job) > 0);

            cluster.client().follow(job);
            CommandResult resumed = cluster.client().resume(job, "carol", ANSWER);
            assertTrue(resumed.done(), resumed.message());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), outcome.toString());
            assertEquals(TestProcessors.SumOfSquares.expected(n), outcome.result().asLong());
            assertEquals(n, processor.runs.size());
            assertTrue(processor.runs.values().stream().allMatch(c -> c == 1), "no subtask ran twice");
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task_held WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT max(attempt) FROM fanout_task WHERE job_id = ?", job),
                    "a task handed back unstarted used up no attempt");
        }
    }

    /**
     * A suspension longer than the time after which a silent task is presumed lost: the tasks
     * executors handed back are the coordinator's to hold, not lost ones, so none is retried, none
     * is dead-lettered, and the job ends exactly with every attempt unused (issue C1: they were
     * watched as if an executor still held them, retried and dead-lettered).
     */
    @Test
    void aSuspensionLongerThanTheLostTaskTimeRetriesNothingAndLosesNothing() throws Exception {
        int n = 5_000;
        CountedSquares processor = new CountedSquares();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.taskLostAfter(Duration.ofSeconds(2)))) {
            cluster.startExecutor(Map.of("counted", processor), b -> b.concurrency(2).heartbeatInterval(Duration.ofMillis(500)));
            UUID job = cluster.client().submit(JobRequests.builder("counted").params(new TestProcessors.SumOfSquares.Params(n)).build());
            await().atMost(Duration.ofSeconds(60)).until(() -> processor.runs.size() >= 500);
            assertTrue(cluster.client().suspend(job, "grace", ANSWER).done());

            // three times the lost-task time passes; no attempt of the suspended job is presumed lost meanwhile
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10))
                    .until(() -> Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND attempt > 0", job) == 0);
            assertTrue(processor.runs.size() < n, "the job was stopped before its end");

            cluster.client().follow(job);
            assertTrue(cluster.client().resume(job, "grace", ANSWER).done());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), outcome.toString());
            assertEquals(TestProcessors.SumOfSquares.expected(n), outcome.result().asLong());
            assertTrue(processor.runs.values().stream().allMatch(c -> c == 1), "no subtask ran twice");
            assertEquals(0, Sql.count(cluster.db(), "SELECT max(attempt) FROM fanout_task WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_dead_letter WHERE job_id = ?", job));
            assertEquals(0, Sql.count(cluster.db(), "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));
        }
    }
}
