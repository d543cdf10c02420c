package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** With a dispatch window, waiting tasks of higher-priority jobs are dispatched first. */
class PriorityIT {

    @Test
    void aHighPriorityJobSubmittedLaterOvertakesTheBacklogOfALowPriorityOne() throws Exception {
        Queue<UUID> starts = new ConcurrentLinkedQueue<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Processor slow = ctx -> {
            starts.add(ctx.jobId());
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(200);
                return null;
            } finally {
                running.decrementAndGet();
            }
        };
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.dispatchWindow(2))) {
            cluster.startExecutor(Map.of("slow", slow), b -> b.concurrency(8));
            UUID low = cluster.client().submit(JobRequests.builder("slow").items(IntStream.range(0, 10).boxed().toList(), "low").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> starts.size() >= 2);
            UUID high = cluster.client().submit(JobRequests.builder("slow").items(IntStream.range(0, 4).boxed().toList(), "high").priority(10).build());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(high, Duration.ofMinutes(1)).type());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(low, Duration.ofMinutes(1)).type());

            List<UUID> order = new ArrayList<>(starts);
            int firstHigh = order.indexOf(high);
            assertEquals(List.of(high, high, high, high), order.subList(firstHigh, firstHigh + 4), "order of starts: " + order);
            assertEquals(2, most.get(), "the window: two tasks in flight at most");
        }
    }
    /**
     * Issue S2: a high-priority job at its own parallelism, with a long queue, does not hold the
     * window's room back from the jobs behind it. Before, the window read the first tasks in
     * priority order (ten windows' worth), all of that job's, released none, and the others waited
     * for its queue to drain.
     */
    @Test
    void aJobAtItsParallelismHoldsNoRoomBackFromTheJobsBehindIt() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Queue<UUID> starts = new ConcurrentLinkedQueue<>();
        Processor waits = ctx -> {
            starts.add(ctx.jobId());
            gate.await();
            return null;
        };
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.dispatchWindow(2))) {
            cluster.startExecutor(Map.of("waits", waits), b -> b.concurrency(8));
            UUID high = cluster.client().submit(JobRequests.builder("waits").items(IntStream.range(0, 25).boxed().toList(), "high")
                    .priority(10).parallelism(1).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> starts.contains(high));
            UUID low = cluster.client().submit(JobRequests.builder("waits").items(List.of(1), "low").build());
            await().atMost(Duration.ofSeconds(15)).until(() -> starts.contains(low)); // the window's second place, while high waits on its own limit
            assertEquals(1, starts.stream().filter(high::equals).count(), "high stays within its parallelism");
            gate.countDown();
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(low, Duration.ofMinutes(1)).type());
            assertEquals(JobEvent.Type.SUCCEEDED, cluster.client().await(high, Duration.ofMinutes(1)).type());
        }
    }
}
