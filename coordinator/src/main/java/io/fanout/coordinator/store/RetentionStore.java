package io.fanout.coordinator.store;

import io.fanout.shared.model.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The statements that delete expired rows, each bounded by a row count so that every transaction
 * is short. Jobs, their tasks and workflow runs are deleted by the coordinator that owns their
 * partition, in its loop (so nothing else writes them meanwhile); a job goes in two steps: its row
 * (with its letters and held tasks) in one transaction, which queues it in {@code fanout_purge};
 * then its tasks, a batch per transaction, until none is left and the queue entry goes too. What
 * belongs to no job's partition (dead letters by age, rejected requests, alerts, commands, the
 * audit log) is deleted by the retention leader.
 */
public final class RetentionStore {

    private static final String TERMINAL = JobState.sqlList(JobState.TERMINAL);

    /**
     * A finished job is kept while something may still need it: letters waiting for a replay, a
     * workflow run waiting for its outcome, a schedule that looks at its last run, or Kafka effects
     * the outbox still owes for it.
     */
    private static final String DELETABLE = """
            j.state IN (%s)
            AND NOT EXISTS (SELECT 1 FROM fanout_dead_letter d WHERE d.job_id = j.job_id AND d.state IN ('DEAD', 'PARKED'))
            AND NOT EXISTS (SELECT 1 FROM fanout_workflow_node n WHERE n.job_id = j.job_id AND n.state = 'RUNNING')
            AND NOT EXISTS (SELECT 1 FROM fanout_schedule s WHERE s.last_job_id = j.job_id)
            AND j.job_id NOT IN (SELECT unnest(o.final_jobs || o.task_jobs) FROM fanout_outbox o)
            """.formatted(TERMINAL);

    private RetentionStore() {
    }

    /**
     * Deletes up to {@code limit} expired jobs (their own TTL passed, or, with none, the default
     * {@code retention} since they finished; zero keeps those) with their letters, replay log and held
     * tasks, and queues their tasks for {@link #purgeTasks}. Returns the jobs deleted. A job row
     * another transaction holds (the loop, a replay) is skipped, never waited for, so this takes no
     * part in a lock cycle; the next round finds it again.
     */
    public static List<UUID> deleteExpiredJobs(Connection c, Collection<Integer> partitions, Duration retention, int limit) throws SQLException {
        String byDefault = retention.isZero() ? "SELECT NULL::uuid AS job_id WHERE false" : """
                SELECT j.job_id FROM fanout_job j
                WHERE j.finished_at IS NOT NULL AND j.ttl_after_finished_ms IS NULL AND j.finished_at <= now() - ? * interval '1 millisecond'
                  AND j.owner_partition = ANY (?) AND %s
                ORDER BY j.finished_at LIMIT ? FOR UPDATE SKIP LOCKED""".formatted(DELETABLE);
        List<UUID> gone = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                WITH own AS (
                    SELECT j.job_id FROM fanout_job j WHERE j.expires_at IS NOT NULL AND j.expires_at <= now() AND j.owner_partition = ANY (?) AND %s
                    ORDER BY j.expires_at LIMIT ? FOR UPDATE SKIP LOCKED),
                by_default AS (%s),
                gone AS (DELETE FROM fanout_job j WHERE j.job_id IN (SELECT job_id FROM own UNION ALL SELECT job_id FROM by_default)
                         RETURNING j.job_id, j.owner_partition),
                queued AS (INSERT INTO fanout_purge (job_id, owner_partition) SELECT job_id, owner_partition FROM gone ON CONFLICT DO NOTHING)
                SELECT job_id FROM gone""".formatted(DELETABLE, byDefault))) {
            ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
            ps.setInt(2, limit);
            if (!retention.isZero()) {
                ps.setLong(3, retention.toMillis());
                ps.setArray(4, c.createArrayOf("int4", partitions.toArray()));
                ps.setInt(5, limit);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gone.add(rs.getObject(1, UUID.class));
                }
            }
        }
        if (gone.isEmpty()) {
            return gone;
        }
        try (PreparedStatement ps = c.prepareStatement("""
                WITH letters AS (DELETE FROM fanout_dead_letter WHERE job_id = ANY (?) RETURNING id),
                replays AS (DELETE FROM fanout_replay WHERE letter_id IN (SELECT id FROM letters))
                DELETE FROM fanout_task_held WHERE job_id = ANY (?)""")) {
            ps.setArray(1, c.createArrayOf("uuid", gone.toArray()));
            ps.setArray(2, c.createArrayOf("uuid", gone.toArray()));
            ps.executeUpdate();
        }
        return gone;
    }

    /**
     * Deletes up to {@code limit} tasks of deleted jobs of these partitions (or queued before the
     * queue knew partitions), then the queue entries of jobs with no task left. Returns the tasks
     * deleted: fewer than {@code limit} means the queue is empty.
     */
    public static int purgeTasks(Connection c, Collection<Integer> partitions, int limit) throws SQLException {
        int deleted;
        try (PreparedStatement ps = c.prepareStatement("""
                DELETE FROM fanout_task t USING (
                    SELECT t.job_id, t.task_id FROM fanout_purge p JOIN fanout_task t ON t.job_id = p.job_id
                    WHERE p.owner_partition = ANY (?) OR p.owner_partition IS NULL LIMIT ?) doomed
                WHERE t.job_id = doomed.job_id AND t.task_id = doomed.task_id""")) {
            ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
            ps.setInt(2, limit);
            deleted = ps.executeUpdate();
        }
        if (deleted < limit) {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM fanout_purge p WHERE (p.owner_partition = ANY (?) OR p.owner_partition IS NULL) "
                    + "AND NOT EXISTS (SELECT 1 FROM fanout_task t WHERE t.job_id = p.job_id)")) {
                ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
                ps.executeUpdate();
            }
        }
        return deleted;
    }

    /**
     * Deletes up to {@code limit} dead letters of these partitions whose last failure is older than
     * {@code retention}, with their replay log, except those the outbox still owes a record for.
     */
    public static int deleteOldLetters(Connection c, Collection<Integer> partitions, Duration retention, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                WITH letters AS (
                    DELETE FROM fanout_dead_letter WHERE id IN (
                        SELECT id FROM fanout_dead_letter d WHERE owner_partition = ANY (?) AND failed_at <= now() - ? * interval '1 millisecond'
                          AND NOT EXISTS (SELECT 1 FROM fanout_outbox o WHERE o.owner_partition = d.owner_partition
                                          AND (d.id = ANY (o.letters) OR d.id = ANY (o.letter_parks) OR d.id = ANY (o.letter_returns)))
                        ORDER BY failed_at LIMIT ?)
                    RETURNING id),
                replays AS (DELETE FROM fanout_replay WHERE letter_id IN (SELECT id FROM letters))
                SELECT count(*) FROM letters""")) {
            ps.setArray(1, c.createArrayOf("int4", partitions.toArray()));
            ps.setLong(2, retention.toMillis());
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Deletes up to {@code limit} workflow runs (with their nodes) that finished longer than
     * {@code retention} ago, except a schedule's last run.
     */
    public static int deleteOldRuns(Connection c, Collection<Integer> partitions, Duration retention, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                WITH runs AS (
                    SELECT r.run_id FROM fanout_workflow_run r
                    WHERE r.finished_at IS NOT NULL AND r.finished_at <= now() - ? * interval '1 millisecond' AND r.owner_partition = ANY (?)
                      AND NOT EXISTS (SELECT 1 FROM fanout_schedule s WHERE s.last_job_id = r.run_id)
                    ORDER BY r.finished_at LIMIT ?),
                nodes AS (DELETE FROM fanout_workflow_node n USING runs WHERE n.run_id = runs.run_id)
                DELETE FROM fanout_workflow_run r USING runs WHERE r.run_id = runs.run_id""")) {
            ps.setLong(1, retention.toMillis());
            ps.setArray(2, c.createArrayOf("int4", partitions.toArray()));
            ps.setInt(3, limit);
            return ps.executeUpdate();
        }
    }

    /** Deletes up to {@code limit} rejected requests older than {@code retention}, except a schedule's last one (its scheduler looks at it). */
    public static int deleteOldRejections(Connection c, Duration retention, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                DELETE FROM fanout_rejected_request WHERE id IN (
                    SELECT r.id FROM fanout_rejected_request r
                    WHERE r.rejected_at <= now() - ? * interval '1 millisecond'
                      AND NOT EXISTS (SELECT 1 FROM fanout_schedule s WHERE s.last_job_id = r.job_id)
                    ORDER BY r.rejected_at LIMIT ?)""")) {
            ps.setLong(1, retention.toMillis());
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }

    /** Deletes up to {@code limit} rows of {@code table} whose {@code column} (a time) is older than {@code retention}. */
    public static int deleteOlderThan(Connection c, String table, String column, Duration retention, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + table + " WHERE " + column
                + " <= now() - ? * interval '1 millisecond' ORDER BY " + column + " LIMIT ?))")) {
            ps.setLong(1, retention.toMillis());
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }
}
