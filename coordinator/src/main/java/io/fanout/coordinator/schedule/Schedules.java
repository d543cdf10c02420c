package io.fanout.coordinator.schedule;

import io.fanout.coordinator.store.ScheduleStore;
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

    public boolean remove(String name) throws SQLException {
        try (Connection c = db.getConnection()) {
            return ScheduleStore.remove(c, name);
        }
    }
}
