package io.fanout.coordinator.store;

import io.fanout.shared.lifecycle.TaskLifecycle;
import io.fanout.shared.model.TaskState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Tasks waiting in PostgreSQL to be dispatched ({@code fanout_task_held}): beyond their job's
 * parallelism, behind a dispatch window, or while their job is suspended. They are released in
 * order, and counted in flight by the statement that releases them.
 */
public final class WaitingTasks {

    /** A held task's place in the priority order: its job and the job's pool. */
    public record Waiting(UUID jobId, String pool) {
    }

    /**
     * The held tasks of the running jobs of these partitions that a dispatch window can release now,
     * highest job priority first, then oldest: of each job no more than its parallelism has room
     * for, of each pool no more than its room ({@code room}, or {@code window} for a pool not named).
     * Only releasable tasks are read, so a job at its parallelism, or a full pool, with a long queue
     * holds no other back (issue S2: the window read the first tasks in order, whatever their room).
     */
    public List<Waiting> byPriority(Connection conn, Collection<Integer> partitions, Map<String, Long> room, int window) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                WITH room AS (SELECT * FROM unnest(?::text[], ?::int8[]) AS r (pool, room)),
                releasable AS (
                    SELECT h.job_id, j.pool, j.priority, h.seq, row_number() OVER (PARTITION BY j.pool ORDER BY j.priority DESC, h.seq) AS place
                    FROM fanout_job j
                    CROSS JOIN LATERAL (
                        SELECT h.job_id, h.seq FROM fanout_task_held h WHERE h.job_id = j.job_id ORDER BY h.seq
                        LIMIT CASE WHEN j.parallelism = 0 THEN ? ELSE greatest(j.parallelism - j.in_flight, 0) END) h
                    WHERE j.state = 'RUNNING' AND j.owner_partition = ANY (?) AND (j.parallelism = 0 OR j.in_flight < j.parallelism))
                SELECT x.job_id, x.pool FROM releasable x LEFT JOIN room r ON r.pool = x.pool
                WHERE x.place <= coalesce(r.room, ?)
                ORDER BY x.priority DESC, x.seq""")) {
            ps.setArray(1, conn.createArrayOf("text", room.keySet().toArray()));
            ps.setArray(2, conn.createArrayOf("int8", room.values().toArray()));
            ps.setInt(3, window);
            ps.setArray(4, conn.createArrayOf("int4", partitions.toArray()));
            ps.setInt(5, window);
            List<Waiting> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Waiting(rs.getObject(1, UUID.class), rs.getString(2)));
                }
            }
            return out;
        }
    }

    /** Dispatches up to {@code n} of the job's held tasks, oldest first, counting them in flight; returns them to send. */
    public List<TaskDispatch> release(Connection conn, JobRow job, long n) throws SQLException {
        if (n <= 0) {
            return List.of();
        }
        TaskLifecycle.TABLE.check(TaskState.CREATED, TaskState.DISPATCHED);
        try (PreparedStatement ps = conn.prepareStatement("""
                WITH next AS (
                    DELETE FROM fanout_task_held WHERE (job_id, seq) IN (
                        SELECT job_id, seq FROM fanout_task_held WHERE job_id = ? ORDER BY seq LIMIT ?)
                    RETURNING task_id),
                upd AS (
                    UPDATE fanout_task t SET state = 'DISPATCHED' FROM next
                    WHERE t.job_id = ? AND t.task_id = next.task_id AND t.state = 'CREATED'
                    RETURNING t.task_id, t.parent_id, t.kind, t.task_name, t.payload_format, t.payload, t.attempt),
                bump AS (UPDATE fanout_job SET in_flight = in_flight + (SELECT count(*) FROM upd) WHERE job_id = ?)
                SELECT * FROM upd""")) {
            ps.setObject(1, job.jobId());
            ps.setLong(2, Math.min(n, Integer.MAX_VALUE));
            ps.setObject(3, job.jobId());
            ps.setObject(4, job.jobId());
            List<TaskDispatch> released = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    released.add(new TaskDispatch(Rows.task(rs, job.jobId(), rs.getObject(1, UUID.class), 2), rs.getInt(7), job, null));
                }
            }
            return released;
        }
    }

    /** Whether any of the job's tasks waits in the held queue. */
    public boolean anyHeld(Connection conn, UUID jobId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT EXISTS (SELECT 1 FROM fanout_task_held WHERE job_id = ?)")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
