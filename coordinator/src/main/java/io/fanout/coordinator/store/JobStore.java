package io.fanout.coordinator.store;

import io.fanout.shared.model.JobRequest;
import io.fanout.shared.lifecycle.JobLifecycle;
import io.fanout.shared.model.JobState;
import io.fanout.shared.wire.ReduceInputRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import io.fanout.shared.model.RetryPolicy;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

/** Job rows: creation, counters read back, outcomes, and rejected requests. */
public final class JobStore {

    static final String COLUMNS = "job_id, client_key, processor, pool, state, owner_partition, total_tasks, succeeded_tasks, failed_tasks, "
            + "reduce_required, max_attempts, initial_backoff_ms, backoff_multiplier, max_backoff_ms, backoff_jitter, non_retryable, task_timeout_ms, "
            + "deadline_at, max_failed_tasks, parallelism, in_flight, priority, ordered_child_ids";
    /** How the error of a job failed by its deadline begins (alerts tell such jobs apart by it). */
    public static final String DEADLINE_ERROR = "deadline passed at ";
    /** The open states as a SQL list: every query that looks for open jobs says it this way, as the partial indexes do. */
    static final String OPEN = JobState.sqlList(JobState.OPEN);
    /** {@link #COLUMNS} of a table aliased {@code j}. */
    static final String COLUMNS_OF_J = "j." + COLUMNS.replace(", ", ", j.");

    /**
     * Creates the jobs whose id and key are not taken yet, nor held by a deleted job whose tasks are
     * still being removed ({@link #beingPurged}), in one statement; returns the ids it created. Deadlines count from {@code acceptedAt}.
     */
    public Set<UUID> insert(Connection conn, List<NewJob> jobs, Instant acceptedAt) throws SQLException {
        Set<UUID> created = new HashSet<>();
        if (jobs.isEmpty()) {
            return created;
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_job (job_id, client_key, processor, pool, state, owner_partition, params, max_attempts, initial_backoff_ms,
                                        backoff_multiplier, max_backoff_ms, backoff_jitter, non_retryable, task_timeout_ms, deadline_at, max_failed_tasks,
                                        parallelism, priority, ttl_after_finished_ms, alert_webhooks, ordered_child_ids)
                SELECT id, k, p, pool, 'RUNNING', part, params, attempts, backoff, mult, max_backoff, jitter,
                       coalesce(string_to_array(non_retryable, ' '), '{}'), timeout_ms, ?::timestamptz + deadline_ms * interval '1 millisecond', max_failed,
                       par, prio, ttl, string_to_array(hooks, ' '), true
                FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::int[], ?::int8[], ?::float8[], ?::int8[], ?::float8[],
                            ?::text[], ?::int8[], ?::int8[], ?::int8[], ?::int[], ?::int[], ?::int8[], ?::text[])
                     AS v(id, k, p, pool, part, params, attempts, backoff, mult, max_backoff, jitter, non_retryable, timeout_ms, deadline_ms, max_failed, par,
                          prio, ttl, hooks)
                WHERE NOT EXISTS (SELECT 1 FROM fanout_purge p WHERE p.job_id = v.id)
                ON CONFLICT DO NOTHING
                RETURNING job_id""")) {
            ps.setObject(1, OffsetDateTime.ofInstant(acceptedAt, ZoneOffset.UTC));
            ps.setArray(2, conn.createArrayOf("uuid", jobs.stream().map(j -> j.request().id()).toArray()));
            ps.setArray(3, conn.createArrayOf("text", jobs.stream().map(j -> j.request().key()).toArray()));
            ps.setArray(4, conn.createArrayOf("text", jobs.stream().map(j -> j.request().processor()).toArray()));
            ps.setArray(5, conn.createArrayOf("text", jobs.stream().map(j -> j.request().pool()).toArray()));
            ps.setArray(6, conn.createArrayOf("int4", jobs.stream().map(NewJob::ownerPartition).toArray()));
            ps.setArray(7, conn.createArrayOf("text", jobs.stream().map(j -> j.request().params() == null ? null : j.request().params().toString()).toArray()));
            ps.setArray(8, conn.createArrayOf("int4", jobs.stream().map(j -> j.request().retry().maxAttempts()).toArray()));
            ps.setArray(9, conn.createArrayOf("int8", jobs.stream().map(j -> j.request().retry().initialBackoff().toMillis()).toArray()));
            ps.setArray(10, conn.createArrayOf("float8", jobs.stream().map(j -> j.request().retry().multiplier()).toArray()));
            ps.setArray(11, conn.createArrayOf("int8", jobs.stream().map(j -> j.request().retry().maxBackoff().toMillis()).toArray()));
            ps.setArray(12, conn.createArrayOf("float8", jobs.stream().map(j -> j.request().retry().jitter()).toArray()));
            // class names hold no spaces (the request parser checks), so a space-joined list travels in one text array
            ps.setArray(13, conn.createArrayOf("text", jobs.stream().map(j -> String.join(" ", j.request().retry().nonRetryable())).toArray()));
            ps.setArray(14, conn.createArrayOf("int8", jobs.stream().map(j -> millis(j.request().taskTimeout())).toArray()));
            ps.setArray(15, conn.createArrayOf("int8", jobs.stream().map(j -> j.request().deadline() == null ? null : j.request().deadline().toMillis()).toArray()));
            ps.setArray(16, conn.createArrayOf("int8", jobs.stream().map(j -> j.request().maxFailedTasks()).toArray()));
            ps.setArray(17, conn.createArrayOf("int4", jobs.stream().map(j -> j.request().parallelism()).toArray()));
            ps.setArray(18, conn.createArrayOf("int4", jobs.stream().map(j -> j.request().priority()).toArray()));
            ps.setArray(19, conn.createArrayOf("int8", jobs.stream().map(j -> j.request().ttlAfterFinished() == null ? null : j.request().ttlAfterFinished().toMillis()).toArray()));
            // URLs hold no spaces (URI parsing refuses them), so a job's list travels as one space-joined text; none is null
            ps.setArray(20, conn.createArrayOf("text", jobs.stream().map(j -> j.request().alertWebhooks() == null ? null
                    : String.join(" ", j.request().alertWebhooks().stream().map(Object::toString).toList())).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    created.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return created;
    }

    /**
     * Of these job ids, those of jobs retention has just deleted whose tasks are still being removed:
     * a request for one now would find its (deterministic) task ids taken.
     */
    public Set<UUID> beingPurged(Connection conn, Collection<UUID> jobIds) throws SQLException {
        Set<UUID> found = new HashSet<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT job_id FROM fanout_purge WHERE job_id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return found;
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
        transitions.forEach(t -> JobLifecycle.TABLE.check(t.from(), t.to()));
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_job j SET
                    state = v.to_state,
                    result_json = CASE WHEN v.to_state = 'SUCCEEDED' THEN
                        (SELECT t.result_json FROM fanout_task t WHERE t.job_id = j.job_id AND t.task_id = v.result_task) END,
                    error = CASE WHEN v.to_state = 'FAILED' THEN
                        j.failed_tasks || ' of ' || j.total_tasks || ' tasks failed; first: ' || coalesce(
                            (SELECT 'task ' || t.task_id || ' (' || t.task_name || ') failed: ' || t.error_class || ': ' || coalesce(t.error_message, '')
                             FROM fanout_task t WHERE t.job_id = j.job_id AND t.state IN ('FAILED', 'TIMED_OUT') ORDER BY t.finished_at NULLS LAST LIMIT 1), '?') END,
                    finished_at = CASE WHEN v.to_state IN ('SUCCEEDED', 'FAILED') THEN now() END,
                    expires_at = CASE WHEN v.to_state IN ('SUCCEEDED', 'FAILED') THEN now() + j.ttl_after_finished_ms * interval '1 millisecond' END
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

    /** A job that is over, with its result or error. */
    public record Ended(JobRow job, String resultJson, String error) {
    }

    /** Of these jobs, those that are over. */
    public List<Ended> ended(Connection conn, Collection<UUID> jobIds) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + ", result_json, error FROM fanout_job WHERE job_id = ANY (?) "
                + "AND state IN (" + JobState.sqlList(JobState.TERMINAL) + ")")) {
            ps.setArray(1, conn.createArrayOf("uuid", jobIds.toArray()));
            List<Ended> ended = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ended.add(new Ended(readJob(rs), rs.getString("result_json"), rs.getString("error")));
                }
            }
            return ended;
        }
    }

    /** A job failed by its deadline, and why. */
    public record Expired(JobRow job, String error) {
    }

    /** Fails the open jobs of {@code partitions} whose deadline has passed by {@code now}. */
    public List<Expired> expire(Connection conn, Collection<Integer> partitions, Instant now) throws SQLException {
        JobLifecycle.TABLE.check(JobState.OPEN, JobState.FAILED);
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET state = 'FAILED', finished_at = now(), expires_at = now() + ttl_after_finished_ms * interval '1 millisecond', "
                + "error = '" + DEADLINE_ERROR + "' || deadline_at || ' with ' || (succeeded_tasks + failed_tasks) || ' of ' || total_tasks "
                + "|| ' tasks done; the others are cancelled' "
                + "WHERE deadline_at <= ? AND state IN (" + OPEN + ") AND owner_partition = ANY (?) "
                + "RETURNING " + COLUMNS + ", error")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setArray(2, conn.createArrayOf("int4", partitions.toArray()));
            List<Expired> expired = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    expired.add(new Expired(readJob(rs), rs.getString("error")));
                }
            }
            return expired;
        }
    }

    /**
     * Moves a job from one of {@code from} to {@code to} (recording {@code error} and the finish
     * time when {@code to} is terminal); returns it as it is now, or null if it was in none of them.
     */
    public JobRow move(Connection conn, UUID jobId, List<JobState> from, JobState to, String error) throws SQLException {
        from.forEach(f -> JobLifecycle.TABLE.check(f, to));
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET state = ?, error = coalesce(?, error), "
                + "finished_at = CASE WHEN ? THEN now() ELSE finished_at END, "
                + "expires_at = CASE WHEN ? THEN now() + ttl_after_finished_ms * interval '1 millisecond' ELSE expires_at END "
                + "WHERE job_id = ? AND state = ANY (?) RETURNING " + COLUMNS)) {
            ps.setString(1, to.name());
            ps.setString(2, error);
            ps.setBoolean(3, to.isTerminal());
            ps.setBoolean(4, to.isTerminal());
            ps.setObject(5, jobId);
            ps.setArray(6, conn.createArrayOf("text", from.stream().map(Enum::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? readJob(rs) : null;
            }
        }
    }

    /** Attempts in flight per pool, over the open jobs of these partitions. */
    public Map<String, Long> inFlightByPool(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT pool, sum(in_flight) FROM fanout_job WHERE state IN (" + OPEN + ") "
                + "AND owner_partition = ANY (?) GROUP BY pool")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            Map<String, Long> out = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
            return out;
        }
    }

    /** How many jobs of these partitions are RUNNING and REDUCING. */
    public Map<JobState, Long> countOpen(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT state, count(*) FROM fanout_job WHERE state IN ('RUNNING', 'REDUCING') "
                + "AND owner_partition = ANY (?) GROUP BY state")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            Map<JobState, Long> counts = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobState.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
            return counts;
        }
    }

    /**
     * Records where a job's subtask results were streamed for its reduce and returns the attempt its
     * reduce starts at; returns empty (and records nothing) if the job no longer waits for them: it
     * was reopened by a replay or cancelled while they streamed, or another feed recorded its own first.
     */
    public OptionalInt recordReduceInput(Connection conn, UUID jobId, ReduceInputRange range) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_job SET reduce_partition = ?, reduce_from = ?, reduce_to = ?, "
                + "reduce_count = ?, reduce_feed = ? WHERE job_id = ? AND state = 'REDUCING' AND reduce_partition IS NULL RETURNING reduce_attempt")) {
            ps.setInt(1, range.partition());
            ps.setLong(2, range.fromOffset());
            ps.setLong(3, range.toOffset());
            ps.setLong(4, range.resultCount());
            ps.setObject(5, range.feedId());
            ps.setObject(6, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
            }
        }
    }

    /** Where the job's results were streamed for its reduce, if they were. */
    public Optional<ReduceInputRange> reduceInput(Connection conn, UUID jobId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT reduce_partition, reduce_from, reduce_to, reduce_count, reduce_feed FROM fanout_job WHERE job_id = ? AND reduce_partition IS NOT NULL")) {
            ps.setObject(1, jobId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(Rows.range(rs)) : Optional.empty();
            }
        }
    }

    /** Records a rejected request, with the job id it would have had where it had one. */
    public void recordRejection(Connection conn, UUID jobId, String source, String reason, String request) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_rejected_request (job_id, source, reason, request) VALUES (?, ?, ?, ?)")) {
            ps.setObject(1, jobId);
            ps.setString(2, source);
            ps.setString(3, reason);
            ps.setString(4, request);
            ps.executeUpdate();
        }
    }

    /** REDUCING jobs of the given coordinator partitions whose results were never streamed for their reduce. */
    public List<JobRow> awaitingReduceInput(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + COLUMNS + " FROM fanout_job "
                + "WHERE state = 'REDUCING' AND reduce_partition IS NULL AND owner_partition = ANY (?)")) {
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

    /** Reads a row selected as {@link #COLUMNS}. */
    static JobRow readJob(ResultSet rs) throws SQLException {
        return readJob(rs, 1);
    }

    /** Reads {@link #COLUMNS} starting at column {@code first}. */
    static JobRow readJob(ResultSet rs, int first) throws SQLException {
        int c = first - 1;
        RetryPolicy retry = new RetryPolicy(rs.getInt(c + 11), Duration.ofMillis(rs.getLong(c + 12)), rs.getDouble(c + 13),
                Duration.ofMillis(rs.getLong(c + 14)), rs.getDouble(c + 15), List.of((String[]) rs.getArray(c + 16).getArray()));
        Timestamp deadline = rs.getTimestamp(c + 18);
        return new JobRow(rs.getObject(c + 1, UUID.class), rs.getString(c + 2), rs.getString(c + 3), rs.getString(c + 4),
                JobState.valueOf(rs.getString(c + 5)), rs.getInt(c + 6), rs.getLong(c + 7), rs.getLong(c + 8), rs.getLong(c + 9), rs.getBoolean(c + 10),
                retry, rs.getLong(c + 17), deadline == null ? 0 : deadline.getTime(), rs.getLong(c + 19), rs.getInt(c + 20), rs.getLong(c + 21), rs.getInt(c + 22),
                rs.getBoolean(c + 23));
    }

    private static long millis(Duration d) {
        return d == null ? 0 : d.toMillis();
    }
}
