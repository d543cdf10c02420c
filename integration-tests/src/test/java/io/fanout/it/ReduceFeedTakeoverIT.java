package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.Coordinator;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.TaskKind;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A takeover while the reduce feed is streaming: the former owner is held in the middle of its
 * stream, the new owner streams the same job, and the former owner's remaining chunks land in the
 * middle of the new owner's range. The reduce reads only the recorded feed's chunks and gets the
 * exact result; the former owner cannot record its range.
 */
class ReduceFeedTakeoverIT {

    private static final int RESULTS = 100_000;

    @Test
    void aReduceFedByTwoCoordinatorsAtOnceReadsOnlyTheRecordedFeed() throws Exception {
        CountDownLatch formerHeld = new CountDownLatch(1);
        CountDownLatch formerGoesOn = new CountDownLatch(1);
        AtomicInteger formerSentAfter = new AtomicInteger();
        HookedSends former = new HookedSends(r -> r.topic().endsWith("reduce-inputs"), n -> {
            if (n == 2) { // one chunk out, then held
                formerHeld.countDown();
                await(formerGoesOn);
            }
            if (n >= 2) {
                formerSentAfter.incrementAndGet();
            }
        });
        HookedSends next = new HookedSends(r -> r.topic().endsWith("reduce-inputs"), n -> {
            if (n == 3) { // two chunks of its own out: now the former owner's land in between
                formerGoesOn.countDown();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (formerSentAfter.get() < 3 && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
        });
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.producerDecorator(former))) {
            cluster.startExecutor(Map.of("sum", new TestProcessors.SumOfSquares()), b -> b.concurrency(64));
            UUID job = cluster.client().submit(JobRequests.builder("sum").params(Map.of("n", RESULTS)).build());
            assertTrue(formerHeld.await(3, TimeUnit.MINUTES), "the owner started streaming the reduce inputs");
            Coordinator formerOwner = cluster.coordinator();
            cluster.startCoordinator(b -> b.producerDecorator(next));
            Thread closing = Thread.ofVirtual().start(() -> {
                try {
                    formerOwner.close(); // leaves the group: the new coordinator takes every partition over
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(3));
            closing.join(Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type(), () -> "outcome: " + outcome);
            assertEquals(TestProcessors.SumOfSquares.expected(RESULTS), outcome.result().asLong());
            assertThat(formerSentAfter.get()).as("chunks the former owner sent after the takeover began").isGreaterThanOrEqualTo(3);
            assertEquals(1, Sql.count(Sql.at(cluster.jdbcUrl), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND kind = ? AND state = 'SUCCEEDED'",
                    job, TaskKind.REDUCE.code()), "one reduce");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
