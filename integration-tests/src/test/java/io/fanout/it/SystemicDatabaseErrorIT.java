package io.fanout.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.shared.model.JobEvent;
import io.fanout.shared.model.JobRequests;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A database that is unwell for a while (here: read-only, as a replica is after a failover) fails
 * every batch, but no record is to blame: nothing is dead-lettered, and once it is well again the
 * job finishes. Only a record that fails on its own, for a reason of its own, is poison.
 */
class SystemicDatabaseErrorIT {

    @Test
    void aReadOnlyDatabaseDeadLettersNothingAndTheJobFinishesWhenItIsWritableAgain() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (FanoutCluster cluster = new FanoutCluster(4, b -> b.meterRegistry(meters))) {
            cluster.startExecutor(Map.of("squares", new TestProcessors.SquareItems()));
            String database = cluster.jdbcUrl.substring(cluster.jdbcUrl.lastIndexOf('/') + 1, cluster.jdbcUrl.indexOf('?'));
            readOnly(database, true);
            UUID job;
            try {
                job = cluster.client().submit(JobRequests.builder("squares").items(LongStream.rangeClosed(1, 20).boxed().toList(), "square").build());
                // more failures than the three after which a batch is taken apart record by record
                await().atMost(Duration.ofSeconds(60)).until(() -> meters.counter("fanout.coordinator.batch.failures").count() >= 5);
            } finally {
                readOnly(database, false);
            }
            JobEvent outcome = cluster.client().await(job, Duration.ofMinutes(1));
            assertEquals(JobEvent.Type.SUCCEEDED, outcome.type());
            assertEquals(LongStream.rangeClosed(1, 20).map(i -> i * i).sum(), outcome.result().asLong());
            assertEquals(0, Sql.count(cluster.db(), "SELECT count(*) FROM fanout_dead_letter"), "no record was dead-lettered");
            assertEquals(0, meters.counter("fanout.dead.letters", "reason", "POISON").count(), "no record was sent to the dead-letter topic");
        }
    }

    /** Makes new transactions of the database read-only (or writable again) and ends its sessions, so that every new one sees it. */
    private static void readOnly(String database, boolean readOnly) throws SQLException {
        try (Connection admin = DriverManager.getConnection(SharedInfrastructure.adminUrl(), SharedInfrastructure.dbUser(), null);
             Statement st = admin.createStatement()) {
            st.execute("ALTER DATABASE " + database + " SET default_transaction_read_only = " + readOnly);
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
        }
    }
}
