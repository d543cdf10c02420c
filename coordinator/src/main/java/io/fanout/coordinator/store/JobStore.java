package io.fanout.coordinator.store;

import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobState;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Job rows: creation, counters read back, outcomes, and rejected requests. */
public final class JobStore {

    static final String COLUMNS = "job_id, client_key, processor, pool, state, owner_partition, total_tasks, succeeded_tasks, failed_tasks, reduce_required";

    /** Creates the jobs whose id and key are not taken yet, in one statement; returns the ids it created. */
    public Set<UUID> insert(Connection conn, List<NewJob> jobs) throws SQLException {
        Set<UUID> created = new HashSet<>();
        if (jobs.isEmpty()) {
            return created;
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_job (job_id, client_key, processor, pool, state, owner_partition, params)
                SELECT id, k, p, pool, 'RUNNING', part, params
                FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[]) AS v(id, k, p, pool, part, params)
                ON CONFLICT DO NOTHING
                RETURNING job_id""")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobs.stream().map(j -> j.request().id()).toArray()));
            ps.setArray(2, conn.createArrayOf("text", jobs.stream().map(j -> j.request().key()).toArray()));
            ps.setArray(3, conn.createArrayOf("text", jobs.stream().map(j -> j.request().processor()).toArray()));
            ps.setArray(4, conn.createArrayOf("text", jobs.stream().map(j -> j.request().pool()).toArray()));
            ps.setArray(5, conn.createArrayOf("int4", jobs.stream().map(NewJob::ownerPartition).toArray()));
            ps.setArray(6, conn.createArrayOf("text", jobs.stream().map(j -> j.request().params() == null ? null : j.request().params().toString()).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    created.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return created;
    }

    /** A job request to store, with the coordinator partition that will own it. */
    public record NewJob(JobRequest request, int ownerPartition) {
    }

    /** A job's move to a new state: its result is taken from {@code resultTask} when it succeeds. */
    public record Transition(UUID jobId, JobState from, JobState to, UUID resultTask) {
    }

    /** Where a transition left a job. */
    public record Finished(UUID jobId, JobState state, String resultJson, String error) {
    }

    /**
     * Applies the transitions in one statement. A job that is no longer in the expected state is
     * left alone (and not returned). Succeeding takes the result task's result; failing records
     * the first failure.
     */
    public List<Finished> transition(Connection conn, List<Transition> transitions) throws SQLException {
        List<Finished> done = new ArrayList<>();
        if (transitions.isEmpty()) {
            return done;
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_job j SET
                    state = v.to_state,
                    result_json = CASE WHEN v.to_state = 'SUCCEEDED' THEN
                        (SELECT t.result_json FROM fanout_task t WHERE t.job_id = j.job_id AND t.task_id = v.result_task) END,
                    error = CASE WHEN v.to_state = 'FAILED' THEN
                        j.failed_tasks || ' of ' || j.total_tasks || ' tasks failed; first: ' || coalesce(
                            (SELECT 'task ' || t.task_id || ' (' || t.task_name || ') failed: ' || t.error_class || ': ' || coalesce(t.error_message, '')
                             FROM fanout_task t WHERE t.job_id = j.job_id AND t.state = 'FAILED' ORDER BY t.finished_at NULLS LAST LIMIT 1), '?') END,
                    finished_at = CASE WHEN v.to_state IN ('SUCCEEDED', 'FAILED') THEN now() END
                FROM unnest(?::uuid[], ?::text[], ?::text[], ?::uuid[]) AS v(job_id, from_state, to_state, result_task)
                WHERE j.job_id = v.job_id AND j.state = v.from_state
                RETURNING j.job_id, j.state, j.result_json, j.error""")) {
            ps.setArray(1, conn.createArrayOf("uuid", transitions.stream().map(Transition::jobId).toArray()));
            ps.setArray(2, conn.createArrayOf("text", transitions.stream().map(t -> t.from().name()).toArray()));
            ps.setArray(3, conn.createArrayOf("text", transitions.stream().map(t -> t.to().name()).toArray()));
            ps.setArray(4, conn.createArrayOf("uuid", transitions.stream().map(Transition::resultTask).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    done.add(new Finished(rs.getObject(1, UUID.class), JobState.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return done;
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

    /** Where the job's results were streamed for its reduce, if they were. */
    public Optional<ReduceInputRange> reduceInput(Connection conn, UUID jobId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT reduce_partition, reduce_from, reduce_to, reduce_count FROM fanout_job WHERE job_id = ? AND reduce_partition IS NOT NULL")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new ReduceInputRange(rs.getInt(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))) : Optional.empty();
            }
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
    public List<JobRow> reducing(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM fanout_job "
                + "WHERE state = 'REDUCING' AND owner_partition = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                List<JobRow> rows = new ArrayList<>();
                while (rs.next()) {
                    rows.add(readJob(rs));
                }
                return rows;
            }
        }
    }

    static JobRow readJob(ResultSet rs) throws SQLException {
        return new JobRow(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4), JobState.valueOf(rs.getString(5)),
                rs.getInt(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getBoolean(10));
    }
}
