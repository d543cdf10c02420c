package io.fanout.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fanout.coordinator.Coordinator;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A coordinator whose loop dies says so: it turns unhealthy for good (the command line then exits non-zero), rather than stay up doing nothing. */
class ProcessHealthIT {

    @Test
    void aCoordinatorWhoseLoopDiesIsUnhealthy() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster()) {
            assertThat(cluster.coordinator().health().healthy()).isTrue();
            try (Connection c = cluster.db().getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE fanout_partition_owner"); // every claim of partitions fails from now on, for good
            }
            Coordinator second = cluster.startCoordinator(b -> { }); // its joining makes both claim partitions again
            await().atMost(Duration.ofSeconds(60)).until(() -> !second.health().healthy());
            assertThat(second.health().failure().thread()).isEqualTo("fanout-coordinator-loop");
            assertThat(second.health().failure().cause()).hasStackTraceContaining("could not claim partitions");
        }
    }
}
