package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.coordinator.store.PartitionOwnership;
import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A coordinator that lost its partitions to another cannot write their jobs' state any more. */
class PartitionFencingIT {

    @Test
    void aFormerOwnersWriteIsRefusedAndRolledBack() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            PartitionOwnership former = new PartitionOwnership("former");
            PartitionOwnership next = new PartitionOwnership("next");
            try (Connection c = cluster.db().getConnection()) {
                former.claim(c, List.of(100));
                next.claim(c, List.of(100));
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO fanout_job (job_id, processor, state, owner_partition) VALUES (gen_random_uuid(), 'p', 'RUNNING', 100)");
                }
                PartitionOwnership.LostException e = assertThrows(PartitionOwnership.LostException.class, () -> former.check(c, List.of(100)));
                assertEquals(java.util.Set.of(100), e.partitions());
                c.rollback();
                next.check(c, List.of(100)); // the new owner writes on
                c.rollback();
            }
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_job WHERE owner_partition = 100"));
            assertEquals("next", Sql.text(cluster.db(), "SELECT owner FROM fanout_partition_owner WHERE partition = 100"));
        }
    }

    /**
     * A housekeeping step's check, in one round trip: a transaction that wrote nothing checks
     * nothing (and gets no transaction id: it locked nothing), one that wrote is refused as above.
     */
    @Test
    void aFormerOwnerIsRefusedOnlyWhereItWrote() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            PartitionOwnership former = new PartitionOwnership("former");
            PartitionOwnership next = new PartitionOwnership("next");
            try (Connection c = cluster.db().getConnection()) {
                former.claim(c, List.of(101));
                next.claim(c, List.of(101));
                c.setAutoCommit(false);
                former.checkIfWritten(c, List.of(101)); // read only: nothing to fence
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_xact_id_if_assigned() IS NULL")) {
                    rs.next();
                    assertTrue(rs.getBoolean(1), "the check took no lock");
                }
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO fanout_job (job_id, processor, state, owner_partition) VALUES (gen_random_uuid(), 'p', 'RUNNING', 101)");
                }
                PartitionOwnership.LostException e = assertThrows(PartitionOwnership.LostException.class, () -> former.checkIfWritten(c, List.of(101)));
                assertEquals(java.util.Set.of(101), e.partitions());
                next.checkIfWritten(c, List.of(101)); // the new owner writes on
                c.rollback();
            }
        }
    }

    @Test
    void aCoordinatorWhosePartitionsWereClaimedStopsRejoinsAndFinishesTheJobWithoutCountingTwice() throws Exception {
        int n = 2_000;
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.coordinatorId("coord-a"))) {
            cluster.startExecutor(Map.of("squares", new PostgresOutageIT.SlowSquares()), b -> b.concurrency(4));
            UUID job = cluster.client().submit(JobRequests.builder("squares").params(Map.of("n", n)).build());
            await().atMost(Duration.ofMinutes(1)).until(() -> Sql.count(cluster.db(),
                    "SELECT coalesce(max(succeeded_tasks), 0) FROM fanout_job WHERE job_id = ?", job) > n / 10);

            try (Connection c = cluster.db().getConnection()) {
                new PartitionOwnership("usurper").claim(c, List.of(0, 1)); // as a coordinator that took over would
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Sql.count(cluster.db(),
                    "SELECT count(*) FROM fanout_partition_owner WHERE owner = 'coord-a'") == 2);

            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(2));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(TestProcessors.SumOfSquares.expected(n), outcome.result().asLong());
            assertEquals(n + 2, outcome.tasks().succeeded());
            assertEquals(n + 2, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_task WHERE job_id = ? AND state = 'SUCCEEDED'", job));
        }
    }
}
