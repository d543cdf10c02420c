package io.fanout.coordinator.store;

import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobState;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Job rows: creation, counters read back, outcomes, and rejected requests. */
public final class JobStore {

    static final String COLUMNS = "job_id, client_key, processor, state, owner_partition, total_tasks, succeeded_tasks, failed_tasks, reduce_required";

    /** Creates the job unless its id or key is already taken; returns whether it was created. */
    public boolean insert(Connection conn, JobRequest request, int ownerPartition) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_job (job_id, client_key, processor, state, owner_partition, params) "
                + "VALUES (?, ?, ?, 'RUNNING', ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setObject(1, request.id());
            ps.setString(2, request.key());
            ps.setString(3, request.processor());
            ps.setInt(4, ownerPartition);
            ps.setString(5, request.params() == null ? null : request.params().toString());
            return ps.executeUpdate() == 1;
        }
    }

    public Map<UUID, JobRow> load(Connection conn, Collection<UUID> jobIds) throws SQLException {
        Map<UUID, JobRow> jobs = new HashMap<>();
        if (jobIds.isEmpty()) {
            return jobs;
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM fanout_job WHERE job_id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    JobRow row = readJob(rs);
                    jobs.put(row.jobId(), row);
                }
            }
        }
        return jobs;
    }

    /** Marks jobs whose processor is a map-reduce processor (told by their executors' events). */
    public void markReduceRequired(Connection conn, Collection<UUID> jobIds) throws SQLException {
        if (jobIds.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET reduce_required = true WHERE job_id = ANY (?) AND NOT reduce_required")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            ps.executeUpdate();
        }
    }

    /** Moves an open job to {@code state}; a job already terminal is left as it is. */
    public boolean transition(Connection conn, UUID jobId, JobState from, JobState to, String resultJson, String error) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET state = ?, result_json = ?, error = ?, "
                + "finished_at = CASE WHEN ? THEN now() END WHERE job_id = ? AND state = ?")) {
            ps.setString(1, to.name());
            ps.setString(2, resultJson);
            ps.setString(3, error);
            ps.setBoolean(4, to.isTerminal());
            ps.setObject(5, jobId);
            ps.setString(6, from.name());
            return ps.executeUpdate() == 1;
        }
    }

    /** Records where a job's subtask results were streamed for its reduce. */
    public void recordReduceInput(Connection conn, UUID jobId, ReduceInputRange range) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET reduce_partition = ?, reduce_from = ?, reduce_to = ?, "
                + "reduce_count = ? WHERE job_id = ?")) {
            ps.setInt(1, range.partition());
            ps.setLong(2, range.fromOffset());
            ps.setLong(3, range.toOffset());
            ps.setLong(4, range.resultCount());
            ps.setObject(5, jobId);
            ps.executeUpdate();
        }
    }

    public void recordRejection(Connection conn, String source, String reason, String request) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_rejected_request (source, reason, request) VALUES (?, ?, ?)")) {
            ps.setString(1, source);
            ps.setString(2, reason);
            ps.setString(3, request);
            ps.executeUpdate();
        }
    }

    /** Jobs of the given coordinator partitions that wait for their reduce (it may not have been dispatched). */
    public java.util.List<JobRow> reducing(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM fanout_job "
                + "WHERE state = 'REDUCING' AND owner_partition = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                java.util.List<JobRow> rows = new java.util.ArrayList<>();
                while (rs.next()) {
                    rows.add(readJob(rs));
                }
                return rows;
            }
        }
    }

    static JobRow readJob(ResultSet rs) throws SQLException {
        return new JobRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), JobState.valueOf(rs.getString(4)), rs.getInt(5),
                rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getBoolean(9));
    }
}
