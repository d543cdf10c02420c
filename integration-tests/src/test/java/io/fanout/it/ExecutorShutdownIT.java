package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.Processor;
import io.fanout.executor.api.TaskContext;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Stopping an executor is graceful: running tasks finish within the grace period, or go back to the group. */
class ExecutorShutdownIT {

    /** Runs until released (or interrupted); counts executions per item. */
    static final class Held implements Processor {
        final CountDownLatch release = new CountDownLatch(1);
        final Set<Long> running = ConcurrentHashMap.newKeySet();
        final Map<Long, AtomicInteger> runs = new ConcurrentHashMap<>();

        @Override
        public Object process(TaskContext ctx) throws InterruptedException {
            long item = ctx.payload(Long.class);
            runs.computeIfAbsent(item, i -> new AtomicInteger()).incrementAndGet();
            running.add(item);
            try {
                release.await(2, TimeUnit.MINUTES);
                return item;
            } finally {
                running.remove(item);
            }
        }
    }

    @Test
    void aStopLetsRunningTasksFinishWithinTheGracePeriod() throws Exception {
        Held held = new Held();
        try (FanoutCluster cluster = new FanoutCluster(1, Set.of())) {
            FanoutExecutor executor = cluster.startExecutor(Map.of("held", held), b -> b.concurrency(4).shutdownGrace(Duration.ofSeconds(30)));
            UUID job = cluster.client().submit(JobRequests.builder("held").items(LongStream.range(0, 4).boxed().toList(), "held").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> held.running.size() == 4);

            Thread stopper = closeInBackground(executor);
            held.release.countDown();
            stopper.join(Duration.ofSeconds(60));

            JobEvent outcome = cluster.client().await(job, Duration.ofSeconds(30));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            held.runs.values().forEach(n -> assertEquals(1, n.get(), "each task ran once"));
        }
    }

    /**
     * Tasks received but not started when a stop begins go back to the coordinator at once: it
     * dispatches them again and stops watching them as the stopping executor's. Issue C7: they were
     * handed back silently, so while the stop drained its running tasks (the partition still its
     * own), the coordinator presumed them lost and retried them, and their old records ran too.
     */
    @Test
    void tasksNotStartedWhenAStopBeginsGoBackToTheCoordinatorAtOnce() throws Exception {
        Held held = new Held();
        Held other = new Held();
        other.release.countDown();
        try (FanoutCluster cluster = new FanoutCluster(1, b -> b.taskLostAfter(Duration.ofSeconds(3)))) {
            FanoutExecutor first = cluster.startExecutor(Map.of("held", held),
                    b -> b.concurrency(1).maxBuffered(5).shutdownGrace(Duration.ofSeconds(30)).heartbeatInterval(Duration.ofSeconds(1))
                            .executorId("stopping"));
            UUID job = cluster.client().submit(JobRequests.builder("held").items(LongStream.range(0, 5).boxed().toList(), "held").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> held.running.size() == 1);
            long finishedItem = held.running.iterator().next();
            await().atMost(Duration.ofSeconds(10)).until(() -> Sql.count(cluster.db(), // the four waiting for the slot, reported by the heartbeat
                    "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'RECEIVED' AND executor_id = 'stopping'", job) == 4);

            Thread stopper = closeInBackground(first);
            await().atMost(Duration.ofSeconds(10)).until(() -> first.inFlight() == 1); // the four waiting ones were given back
            // while the running one holds the stop (and the partition), the coordinator has them back, same attempt, dispatched again
            await().atMost(Duration.ofSeconds(20)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'DISPATCHED' AND attempt = 0", job) == 4);
            held.release.countDown();
            stopper.join(Duration.ofSeconds(60));
            assertEquals(1, held.runs.size(), "only the running task ran on the stopping executor");

            cluster.startExecutor(Map.of("held", other));
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(new JobEvent.TaskCounts(5, 5, 0), outcome.tasks());
            assertEquals(LongStream.range(0, 5).filter(i -> i != finishedItem).boxed().collect(java.util.stream.Collectors.toSet()), other.runs.keySet(),
                    "the four given back ran on the other executor, the finished one not again");
            other.runs.values().forEach(n -> assertEquals(1, n.get(), "each once: their old records were settled, not read again"));
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND (attempt > 0 OR error_class IS NOT NULL)", job),
                    "none presumed lost, none retried");
        }
    }

    @Test
    void tasksStillRunningAfterTheGracePeriodAreHandedBackAndRunElsewhere() throws Exception {
        Held stuck = new Held();
        Held healthy = new Held();
        healthy.release.countDown();
        try (FanoutCluster cluster = new FanoutCluster(1, Set.of())) {
            FanoutExecutor first = cluster.startExecutor(Map.of("held", stuck), b -> b.concurrency(3).shutdownGrace(Duration.ofMillis(200)));
            UUID job = cluster.client().submit(JobRequests.builder("held").items(LongStream.range(0, 3).boxed().toList(), "held").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> stuck.running.size() == 3);

            first.close(); // grace expires: the three are interrupted, not reported, not committed
            cluster.startExecutor(Map.of("held", healthy));
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "job failed: " + outcome.error());
            assertEquals(3, healthy.runs.size(), "the handed-back tasks ran on the other executor");
            assertEquals(3, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }

    /** Stops an executor the way SIGTERM does, on another thread, so the test can act while it drains. */
    private static Thread closeInBackground(FanoutExecutor executor) {
        return Thread.ofPlatform().start(() -> {
            try {
                executor.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
