package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.DeadLetters;
import io.fanout.coordinator.Coordinator;
import io.fanout.coordinator.SweeperPolicy;
import io.fanout.executor.api.NonRetryableException;
import io.fanout.executor.api.Processor;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.RetryPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The scheduled sweeper: replays under its policy, parks what used up its replays, and runs in exactly one coordinator. */
class SweeperIT {

    private static final Processor ALWAYS_BROKEN = ctx -> {
        throw new NonRetryableException("still broken");
    };

    private static SweeperPolicy sweepEvery200ms(int maxReplays) {
        return new SweeperPolicy(Duration.ofMillis(200), maxReplays, Duration.ZERO, List.of(NonRetryableException.class.getName()), Duration.ofSeconds(2),
                true);
    }

    @Test
    void theSweeperReplaysOnScheduleUpToItsCapThenParksAndLeavesOtherErrorsAlone() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.sweeper(sweepEvery200ms(2)).coordinatorId("coord-a"))) {
            cluster.startExecutor(Map.of("broken", ALWAYS_BROKEN, "refuses", ctx -> {
                throw new IllegalStateException("not for the sweeper");
            }));
            UUID job = cluster.client().submit(JobRequests.builder("broken").build());
            RetryPolicy noRetry = new RetryPolicy(1, Duration.ZERO, 1, Duration.ZERO, 0, List.of());
            UUID other = cluster.client().submit(JobRequests.builder("refuses").retry(noRetry).build());
            DeadLetters letters = cluster.deadLetters();

            await().atMost(Duration.ofSeconds(60)).until(() -> letters.list(new LetterQueries.Filter(job, null, null, DeadLetter.PARKED, 1)).size() == 1);
            DeadLetter parked = letters.list(new LetterQueries.Filter(job, null, null, null, 1)).get(0);
            assertEquals(2, parked.replayCount());
            List<LetterQueries.Replay> log = letters.show(parked.id()).orElseThrow().replays();
            assertEquals(List.of("REPLAY", "REPLAY", "PARK"), log.stream().map(LetterQueries.Replay::action).toList());
            assertTrue(log.stream().allMatch(r -> r.actor().equals("sweeper coord-a")), log.toString());
            assertThat(log.get(2).outcome()).isEqualTo("parked after 2 replays");

            ConsumerRecord<byte[], byte[]> onParkingTopic = TopicRecords.read(cluster, cluster.topics.parkedLetters(), 1, Duration.ofSeconds(30)).get(0);
            assertEquals(job.toString(), DeadLetterHeaders.text(onParkingTopic.headers(), DeadLetterHeaders.JOB));
            assertEquals("still broken", DeadLetterHeaders.text(onParkingTopic.headers(), DeadLetterHeaders.EXCEPTION_MESSAGE));
            assertEquals("FAILED", Sql.text(cluster.db(), "SELECT state FROM fanout_job WHERE job_id = ?", job));

            await().atMost(Duration.ofSeconds(30)).until(() -> letters.list(new LetterQueries.Filter(other, null, null, null, 1)).size() == 1);
            DeadLetter notReplayable = letters.list(new LetterQueries.Filter(other, null, null, null, 1)).get(0);
            assertEquals(DeadLetter.DEAD, notReplayable.state());
            assertEquals(0, notReplayable.replayCount(), "IllegalStateException is not among the sweeper's replayable errors");
        }
    }

    /**
     * Each partition's letters are swept by the coordinator that owns it, in its loop: one sweeper
     * per letter, and when the owner leaves, the coordinator that takes its partitions over sweeps them.
     */
    @Test
    void theOwnerOfALettersPartitionSweepsItAndItsSuccessorTakesOver() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.sweeper(sweepEvery200ms(100)).coordinatorId("coord-a"))) {
            Coordinator b = cluster.startCoordinator(c -> c.sweeper(sweepEvery200ms(100)).coordinatorId("coord-b"));
            // both own partitions before the job: a letter's partition moving between them mid-test would give it two sweepers
            await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(cluster.db(), "SELECT count(DISTINCT owner) FROM fanout_partition_owner") == 2);
            cluster.startExecutor(Map.of("broken", ALWAYS_BROKEN));
            UUID job = cluster.client().submit(JobRequests.builder("broken").build());
            DeadLetters letters = DeadLetters.reader(b.dataSource());
            await().atMost(Duration.ofSeconds(60)).until(() -> replays(letters, job).size() >= 5);
            assertEquals(1, replays(letters, job).stream().map(LetterQueries.Replay::actor).distinct().count(), "one sweeper per letter");
            String owner = replays(letters, job).get(0).actor();

            Coordinator leaving = owner.equals("sweeper coord-a") ? cluster.coordinator() : b;
            Coordinator staying = leaving == b ? cluster.coordinator() : b;
            leaving.close();
            String successor = owner.equals("sweeper coord-a") ? "sweeper coord-b" : "sweeper coord-a";
            DeadLetters remaining = DeadLetters.reader(staying.dataSource());
            await().atMost(Duration.ofSeconds(30)).until(() -> replays(remaining, job).stream().anyMatch(r -> r.actor().equals(successor)));
        }
    }

    /**
     * A letter that can never be replayed (its job was cancelled) is not picked by the sweeper, so it
     * holds no other letter back: with one letter per sweep, the replayable letter after it is
     * replayed (issue C5: the sweeper picked the same unreplayable letters on every sweep, and as
     * many of them as it takes per sweep stopped it for good).
     */
    @Test
    void aLetterThatCanNeverBeReplayedHoldsNoOtherBack() throws Exception {
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        SweeperPolicy onePerSweep = new SweeperPolicy(Duration.ofMillis(200), 1, Duration.ZERO, List.of(), Duration.ofSeconds(2), true, 1);
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.sweeper(onePerSweep.withEnabled(false)))) {
            cluster.startExecutor(Map.of("broken", ALWAYS_BROKEN, "half", ctx -> {
                if (ctx.payload(Long.class) == 1) {
                    throw new NonRetryableException("broken for good");
                }
                hold.await(); // keeps the job running until it is cancelled
                return null;
            }));
            DeadLetters letters = cluster.deadLetters();
            UUID cancelled = cluster.client().submit(JobRequests.builder("half").items(List.of(1L, 2L), "half").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> letters.list(new LetterQueries.Filter(cancelled, null, null, null, 1)).size() == 1);
            assertTrue(cluster.client().cancel(cancelled, "test", Duration.ofSeconds(30)).done());
            UUID replayable = cluster.client().submit(JobRequests.builder("broken").build());
            await().atMost(Duration.ofSeconds(30)).until(() -> letters.list(new LetterQueries.Filter(replayable, null, null, null, 1)).size() == 1);

            Coordinator sweeping = cluster.startCoordinator(b -> b.sweeper(onePerSweep).coordinatorId("sweeper"));
            cluster.coordinator().close(); // the sweeping coordinator takes every partition, with both letters
            DeadLetters after = DeadLetters.reader(sweeping.dataSource());
            await().atMost(Duration.ofSeconds(60)).until(() -> after.list(new LetterQueries.Filter(replayable, null, null, null, 1)).get(0).replayCount() == 1);
            DeadLetter stuck = after.list(new LetterQueries.Filter(cancelled, null, null, null, 1)).get(0);
            assertEquals(DeadLetter.DEAD, stuck.state(), "a letter of a cancelled job stays as it is, for a person to look at");
            assertEquals(0, stuck.replayCount());
            assertTrue(sweeping.health().healthy());
            hold.countDown();
        }
    }

    private static List<LetterQueries.Replay> replays(DeadLetters letters, UUID job) throws Exception {
        List<DeadLetter> l = letters.list(new LetterQueries.Filter(job, null, null, null, 1));
        return l.isEmpty() ? List.of() : letters.show(l.get(0).id()).orElseThrow().replays();
    }
}
