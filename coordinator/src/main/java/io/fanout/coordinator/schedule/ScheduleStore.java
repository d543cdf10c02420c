package io.fanout.coordinator.schedule;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Recurring jobs in PostgreSQL. */
final class ScheduleStore {

    private static final String COLUMNS = "name, cron, zone, request, concurrency_policy, next_fire_at, last_fired_at, last_job_id, fired, skipped";

    private ScheduleStore() {
    }

    /** Adds a schedule, or replaces the one of that name. */
    static void put(Connection c, Schedule s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO fanout_schedule (name, cron, zone, request, concurrency_policy, next_fire_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, zone = excluded.zone, request = excluded.request,
                    concurrency_policy = excluded.concurrency_policy, next_fire_at = excluded.next_fire_at""")) {
            ps.setString(1, s.name());
            ps.setString(2, s.cron());
            ps.setString(3, s.zone().getId());
            ps.setString(4, s.request());
            ps.setString(5, s.policy().name());
            ps.setTimestamp(6, Timestamp.from(s.nextFireAt()));
            ps.executeUpdate();
        }
    }

    static boolean remove(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM fanout_schedule WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() > 0;
        }
    }

    static List<Schedule> list(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM fanout_schedule ORDER BY name")) {
            return read(ps);
        }
    }

    /** The schedules due by {@code now}, locked (others skip them). */
    static List<Schedule> due(Connection c, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM fanout_schedule WHERE next_fire_at <= ? ORDER BY next_fire_at "
                + "FOR UPDATE SKIP LOCKED")) {
            ps.setTimestamp(1, Timestamp.from(now));
            return read(ps);
        }
    }

    /** Records a run: fired (with its job) or skipped, and when the next is due. */
    static void recordRun(Connection c, String name, Instant firedAt, UUID jobId, Instant next) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE fanout_schedule SET next_fire_at = ?, last_fired_at = coalesce(?, last_fired_at), "
                + "last_job_id = coalesce(?, last_job_id), fired = fired + ?, skipped = skipped + ? WHERE name = ?")) {
            ps.setTimestamp(1, Timestamp.from(next));
            ps.setTimestamp(2, jobId == null ? null : Timestamp.from(firedAt));
            ps.setObject(3, jobId);
            ps.setInt(4, jobId == null ? 0 : 1);
            ps.setInt(5, jobId == null ? 1 : 0);
            ps.setString(6, name);
            ps.executeUpdate();
        }
    }

    private static List<Schedule> read(PreparedStatement ps) throws SQLException {
        List<Schedule> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Timestamp last = rs.getTimestamp(7);
                out.add(new Schedule(rs.getString(1), rs.getString(2), ZoneId.of(rs.getString(3)), rs.getString(4),
                        Schedule.ConcurrencyPolicy.valueOf(rs.getString(5)), rs.getTimestamp(6).toInstant(), last == null ? null : last.toInstant(),
                        rs.getObject(8, UUID.class), rs.getLong(9), rs.getLong(10)));
            }
        }
        return out;
    }
}
