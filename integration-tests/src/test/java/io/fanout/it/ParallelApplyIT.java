package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.examples.NoOp;
import io.fanout.executor.FanoutExecutor;
import io.fanout.executor.api.Processor;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Large batches are applied in parts on several connections at once, each part a transaction of
 * its own: every task is still stored and counted once, and a batch whose parts committed while
 * its own transaction failed (the window of a crash between them) is applied again and ends its
 * job exactly.
 */
class ParallelApplyIT {

    @Test
    void aLargeJobIsAppliedOnSeveralConnectionsAndEachTaskCountsOnce() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        int n = 20_000;
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.applyConnections(3).meterRegistry(meters))) {
            cluster.startExecutor(Map.of(NoOp.NAME, new NoOp()));
            cluster.startExecutor(Map.of(NoOp.NAME, new NoOp()));
            UUID job = cluster.client().submit(JobRequests.builder(NoOp.NAME).params(new NoOp.Params(n)).build());
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(3));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(n + 1, outcome.tasks().succeeded());
            assertEquals(n + 1, outcome.tasks().total());
            assertTrue(meters.get("fanout.coordinator.batch.parts").counter().count() > 0, "some batches were applied in parts");
            assertEachTaskSucceededOnce(cluster.db(), job, n + 1);
        }
    }

    @Test
    void aBatchWhosePartsCommittedButWhoseOwnTransactionFailedEndsItsJobWhenAppliedAgain() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        int n = 5_000;
        AtomicInteger runs = new AtomicInteger();
        Processor counting = ctx -> {
            runs.incrementAndGet();
            return null;
        };
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.applyConnections(2).meterRegistry(meters))) {
            DataSource db = Sql.at(cluster.jdbcUrl); // outlives the coordinator's own pool
            List<Integer> items = IntStream.range(0, n).boxed().toList();
            UUID job = cluster.client().submit(JobRequests.builder("count").items(items, "item").build());
            await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", job) == n);

            // The statuses of every task pile up while no coordinator reads them, so one large batch brings them all.
            cluster.coordinator().close();
            FanoutExecutor executor = cluster.startExecutor(Map.of("count", counting));
            await().atMost(Duration.ofMinutes(2)).until(() -> runs.get() == n);
            executor.close(); // a graceful stop: every status is on the topic

            // The batch's own transaction fails once where it ends the job: its parts (the statuses) have committed by then.
            try (Connection c = db.getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE SEQUENCE fail_once");
                st.execute("""
                        CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF NEW.state = 'SUCCEEDED' AND nextval('fail_once') = 1 THEN RAISE EXCEPTION 'the coordinator dies here'; END IF;
                            RETURN NEW;
                        END $$""");
                st.execute("CREATE TRIGGER fail_once BEFORE UPDATE OF state ON fanout_job FOR EACH ROW EXECUTE FUNCTION fail_once()");
            }
            cluster.restartCoordinator();
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));

            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(n, outcome.tasks().succeeded());
            assertEquals(2, Sql.count(db, "SELECT last_value FROM fail_once"), "the job's end failed once, then held");
            assertTrue(meters.get("fanout.coordinator.batch.parts").counter().count() > 0, "the statuses were applied in parts");
            assertEachTaskSucceededOnce(db, job, n);
            assertEquals(n, runs.get());
        }
    }

    private static void assertEachTaskSucceededOnce(DataSource db, UUID job, long tasks) {
        assertEquals(tasks, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED' AND attempt = 0", job));
        assertEquals(tasks, Sql.count(db, "SELECT count(*) FROM fanout_task WHERE job_id = ?", job));
        assertEquals(tasks, Sql.count(db, "SELECT succeeded_tasks FROM fanout_job WHERE job_id = ?", job), "counted once each");
        assertEquals(0, Sql.count(db, "SELECT in_flight FROM fanout_job WHERE job_id = ?", job));
    }
}
