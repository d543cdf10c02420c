package io.fanout.query;

import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Tasks finished per second, from the jobs' durable counters: each look reads the open jobs and
 * the jobs that finished since the last look (both through indexes, never the task table) and adds
 * up how far each job's finished count moved. The first look only takes its bearings.
 */
public final class Throughput {

    private final DataSource db;
    private final Clock clock;
    private final Map<UUID, Long> done = new HashMap<>();
    private Instant last;
    private Sample sample;

    /** Tasks that finished between two looks, and the seconds between them. */
    public record Sample(long tasks, double seconds) {
        public double perSecond() {
            return tasks / Math.max(0.001, seconds);
        }
    }

    public Throughput(DataSource db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** What finished since the previous look (null at the first). Looks no more often than {@code minGap}: closer, the last sample is returned. */
    public synchronized Sample look(Duration minGap) throws SQLException {
        Instant now = clock.instant();
        if (last != null && Duration.between(last, now).compareTo(minGap) < 0) {
            return sample;
        }
        long moved = 0;
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT job_id, succeeded_tasks + failed_tasks FROM fanout_job "
                + "WHERE state IN (" + JobState.sqlList(JobState.OPEN) + ") OR finished_at >= ?")) {
            // Each look reads from a second before the previous one (the first, from a second before itself): a job that finished
            // in the overlap was in the previous look's counts too, so it is never missed and never counted twice.
            ps.setTimestamp(1, Timestamp.from((last == null ? now : last).minusSeconds(1)));
            Map<UUID, Long> seen = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UUID id = rs.getObject(1, UUID.class);
                    long n = rs.getLong(2);
                    seen.put(id, n);
                    moved += n - done.getOrDefault(id, 0L);
                }
            }
            boolean first = last == null;
            done.clear();
            done.putAll(seen);
            sample = first ? null : new Sample(Math.max(0, moved), Duration.between(last, now).toMillis() / 1000.0);
        }
        last = now;
        return sample;
    }
}
