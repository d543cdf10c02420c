package io.fanout.coordinator.schedule;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import javax.sql.DataSource;

/** Recurring jobs by hand: add (or change), list, remove. */
public final class Schedules {

    private final DataSource db;
    private final Clock clock;

    public Schedules(DataSource db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * Adds a schedule, or replaces the one of that name; its first run is the first time after now
     * that the cron expression names. Bad settings fail here, naming the setting.
     */
    public Schedule put(String name, String cron, String zone, String requestJson, String policy) throws SQLException {
        Schedule s = Schedule.create(name, cron, zone, requestJson, policy, clock.instant());
        try (Connection c = db.getConnection()) {
            ScheduleStore.put(c, s);
        }
        return s;
    }

    public List<Schedule> list() throws SQLException {
        try (Connection c = db.getConnection()) {
            return ScheduleStore.list(c);
        }
    }

    /**
     * Makes a schedule due now: the scheduler's leader fires it at its next tick (within a
     * second), under its concurrency policy, and its next run is the cron's as usual after that.
     * False if there is no such schedule.
     */
    public boolean triggerNow(String name) throws SQLException {
        try (Connection c = db.getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(
                "UPDATE fanout_schedule SET next_fire_at = ? WHERE name = ?")) {
            ps.setTimestamp(1, java.sql.Timestamp.from(clock.instant()));
            ps.setString(2, name);
            return ps.executeUpdate() == 1;
        }
    }

    public boolean remove(String name) throws SQLException {
        try (Connection c = db.getConnection()) {
            return ScheduleStore.remove(c, name);
        }
    }
}
