package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanout.coordinator.store.Database;
import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

/**
 * The monotonic status update ranks stored states in SQL ({@code fanout_state_rank}); the lifecycle
 * ranks them in Java ({@link TaskState#rank}). They must agree for every stored state, and the states
 * the schema's partial indexes name must be the enum's.
 */
class StateRankIT {

    @Test
    void postgresRanksEveryTaskStateAsTheEnumDoes() throws Exception {
        try (Database db = Database.connect(SharedInfrastructure.newDatabase(), SharedInfrastructure.dbUser(), null, 2);
             Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("SELECT fanout_state_rank(?)")) {
            for (TaskState state : TaskState.values()) {
                if (state == TaskState.SUSPENDED) {
                    continue; // reported, never stored: its rank travels with the report (fanout_status_stage.rank)
                }
                ps.setString(1, state.name());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(state.rank(), rs.getInt(1), "rank of " + state);
                }
            }
            for (TaskState unfinished : TaskLifecycle.UNFINISHED) {
                ps.setString(1, unfinished.name());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(true, rs.getInt(1) < 4, unfinished + " is below the terminal rank, so a cancel or a deadline ends it");
                }
            }
        }
    }

    @Test
    void theOpenJobIndexesNameTheOpenStatesOfTheEnum() throws Exception {
        try (Database db = Database.connect(SharedInfrastructure.newDatabase(), SharedInfrastructure.dbUser(), null, 2);
             Connection c = db.connection();
             PreparedStatement ps = c.prepareStatement("SELECT indexdef FROM pg_indexes WHERE tablename = 'fanout_job' AND indexdef LIKE '%WHERE%state%'")) {
            java.util.Set<JobState> named = java.util.EnumSet.noneOf(JobState.class);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    for (JobState s : JobState.values()) {
                        if (rs.getString(1).contains("'" + s.name() + "'")) {
                            named.add(s);
                        }
                    }
                }
            }
            assertEquals(JobState.OPEN, named, "the partial indexes over open jobs cover exactly JobState.OPEN");
        }
    }
}
