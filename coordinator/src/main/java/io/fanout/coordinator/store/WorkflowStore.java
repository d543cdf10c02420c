package io.fanout.coordinator.store;

import static io.fanout.query.RunQueries.RUN_COLUMNS;
import static io.fanout.query.RunQueries.node;
import static io.fanout.query.RunQueries.run;

import io.fanout.query.RunQueries.Node;
import io.fanout.query.RunQueries.Run;
import io.fanout.query.RunQueries;
import io.fanout.shared.lifecycle.RunLifecycle;
import io.fanout.shared.model.JobState;
import io.fanout.shared.workflow.NodeState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Workflow runs and their nodes, as their owner writes them (what operators see: {@link io.fanout.query.RunQueries}). */
public final class WorkflowStore {

    private static final String TERMINAL = JobState.sqlList(JobState.TERMINAL);

    /** A stored version of a definition. */

    /** A run to create, owned by the coordinator of {@code ownerPartition}. */
    public record NewRun(UUID runId, String key, String workflow, int version, int ownerPartition, String params) {
    }

    /** A node whose job has just ended, with the run it belongs to. */
    public record EndedNode(UUID runId, Node node) {
    }

    /** Creates the runs whose id and key are not taken, with a PENDING row per node; returns the ids it created. */
    public Set<UUID> insertRuns(Connection conn, List<NewRun> runs, Map<UUID, List<String>> nodesByRun) throws SQLException {
        Set<UUID> created = new HashSet<>();
        if (runs.isEmpty()) {
            return created;
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                INSERT INTO fanout_workflow_run (run_id, client_key, workflow, version, state, owner_partition, params)
                SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::text[], ?::int[], ?::text[])
                ON CONFLICT DO NOTHING RETURNING run_id""")) {
            ps.setArray(1, conn.createArrayOf("uuid", runs.stream().map(NewRun::runId).toArray()));
            ps.setArray(2, conn.createArrayOf("text", runs.stream().map(NewRun::key).toArray()));
            ps.setArray(3, conn.createArrayOf("text", runs.stream().map(NewRun::workflow).toArray()));
            ps.setArray(4, conn.createArrayOf("int4", runs.stream().map(NewRun::version).toArray()));
            ps.setArray(5, conn.createArrayOf("text", runs.stream().map(r -> "RUNNING").toArray()));
            ps.setArray(6, conn.createArrayOf("int4", runs.stream().map(NewRun::ownerPartition).toArray()));
            ps.setArray(7, conn.createArrayOf("text", runs.stream().map(NewRun::params).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    created.add(rs.getObject(1, UUID.class));
                }
            }
        }
        if (created.isEmpty()) {
            return created;
        }
        List<UUID> runIds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (UUID id : created) {
            for (String node : nodesByRun.get(id)) {
                runIds.add(id);
                names.add(node);
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_workflow_node (run_id, node, state) "
                + "SELECT r, n, 'PENDING' FROM unnest(?::uuid[], ?::text[]) AS v(r, n)")) {
            ps.setArray(1, conn.createArrayOf("uuid", runIds.toArray()));
            ps.setArray(2, conn.createArrayOf("text", names.toArray()));
            ps.executeUpdate();
        }
        return created;
    }

    /** The runs of these partitions with a RUNNING node whose job has ended. */
    public List<UUID> runsWithEndedNodes(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT DISTINCT n.run_id FROM fanout_workflow_node n
                JOIN fanout_job j ON j.job_id = n.job_id JOIN fanout_workflow_run r ON r.run_id = n.run_id
                WHERE n.state = 'RUNNING' AND j.state IN (%s) AND r.owner_partition = ANY (?)""".formatted(TERMINAL))) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            return uuids(ps);
        }
    }

    /**
     * The runs of these partitions with a RUNNING node whose job is one of these, just ended: a
     * lookup in the running nodes' index, where {@link #runsWithEndedNodes} joins the jobs.
     */
    public List<UUID> runsOfEndedJobs(Connection conn, Collection<Integer> partitions, Collection<UUID> endedJobs) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                SELECT DISTINCT n.run_id FROM fanout_workflow_node n JOIN fanout_workflow_run r ON r.run_id = n.run_id
                WHERE n.state = 'RUNNING' AND n.job_id = ANY (?) AND r.owner_partition = ANY (?)""")) {
            ps.setArray(1, conn.createArrayOf("uuid", endedJobs.toArray()));
            ps.setArray(2, conn.createArrayOf("int4", partitions.toArray()));
            return uuids(ps);
        }
    }

    /** The runs of these partitions an operator's action woke, taken (the flag cleared) in this transaction. */
    public List<UUID> takeWoken(Connection conn, Collection<Integer> partitions) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_workflow_run SET wake = false WHERE wake AND owner_partition = ANY (?) RETURNING run_id")) {
            ps.setArray(1, conn.createArrayOf("int4", partitions.toArray()));
            return uuids(ps);
        }
    }

    /**
     * Ends the RUNNING nodes of these runs whose jobs have ended, taking the job's outcome, result
     * and error, in one statement; returns them.
     */
    public List<EndedNode> endNodesOfEndedJobs(Connection conn, Collection<UUID> runIds) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_workflow_node n SET
                    state = CASE j.state WHEN 'SUCCEEDED' THEN 'SUCCEEDED' WHEN 'CANCELLED' THEN 'CANCELLED' ELSE 'FAILED' END,
                    result_json = j.result_json, error = j.error, finished_at = coalesce(j.finished_at, now())
                FROM fanout_job j
                WHERE n.run_id = ANY (?) AND n.state = 'RUNNING' AND j.job_id = n.job_id AND j.state IN (%s)
                RETURNING n.run_id, n.node, n.state, n.attempt, n.job_id, n.result_json, n.error, n.started_at, n.finished_at""".formatted(TERMINAL))) {
            ps.setArray(1, conn.createArrayOf("uuid", runIds.toArray()));
            List<EndedNode> ended = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ended.add(new EndedNode(rs.getObject(1, UUID.class), node(rs, 2)));
                }
            }
            return ended;
        }
    }

    /**
     * The runs with these ids, locked until the transaction ends (in id order): whoever changes a
     * run or its nodes locks the run first, so the owner moving it on and an operator's action
     * take turns.
     */
    public Map<UUID, Run> lockRuns(Connection conn, Collection<UUID> runIds) throws SQLException {
        return RunQueries.runs(conn, runIds, true);
    }

    /**
     * Moves a run from one of {@code from} to {@code to} (an ended state records {@code error} and
     * the time; an open one clears them) and, with {@code wake}, asks its owner to look at it again;
     * returns it as it is now, or null if it was in none of them.
     */
    public Run moveRun(Connection conn, UUID runId, List<String> from, String to, String error, boolean wake) throws SQLException {
        from.stream().filter(f -> !f.equals(to)).forEach(f -> RunLifecycle.TABLE.check(JobState.valueOf(f), JobState.valueOf(to))); // the same state: a wake
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_workflow_run SET state = ?, error = ?, wake = wake OR ?, "
                + "finished_at = CASE WHEN ? IN ('RUNNING', 'SUSPENDED') THEN NULL ELSE now() END "
                + "WHERE run_id = ? AND state = ANY (?) RETURNING " + RUN_COLUMNS)) {
            ps.setString(1, to);
            ps.setString(2, error);
            ps.setBoolean(3, wake);
            ps.setString(4, to);
            ps.setObject(5, runId);
            ps.setArray(6, conn.createArrayOf("text", from.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? run(rs) : null;
            }
        }
    }

    /** The runs with one of these ids or keys. */
    public List<Run> existing(Connection conn, Collection<UUID> runIds, Collection<String> keys) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + RUN_COLUMNS + " FROM fanout_workflow_run WHERE run_id = ANY (?) OR client_key = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", runIds.toArray()));
            ps.setArray(2, conn.createArrayOf("text", keys.toArray()));
            List<Run> runs = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    runs.add(run(rs));
                }
            }
            return runs;
        }
    }

    /** Makes these nodes pending again; a node that had a job gets a new attempt (and so a new job). */
    public void resetNodes(Connection conn, UUID runId, Collection<String> nodes) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_workflow_node SET state = 'PENDING', "
                + "attempt = attempt + CASE WHEN job_id IS NULL THEN 0 ELSE 1 END, job_id = NULL, result_json = NULL, error = NULL, "
                + "started_at = NULL, finished_at = NULL WHERE run_id = ? AND node = ANY (?) AND state <> 'RUNNING'")) {
            ps.setObject(1, runId);
            ps.setArray(2, conn.createArrayOf("text", nodes.toArray()));
            ps.executeUpdate();
        }
    }

    /** Ends a node SUCCEEDED with {@code resultJson}, as an operator says; false if it was not in one of {@code from}. */
    public boolean markSucceeded(Connection conn, UUID runId, String node, String resultJson, List<NodeState> from) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_workflow_node SET state = 'SUCCEEDED', result_json = ?, error = NULL, "
                + "finished_at = now() WHERE run_id = ? AND node = ? AND state = ANY (?)")) {
            ps.setString(1, resultJson);
            ps.setObject(2, runId);
            ps.setString(3, node);
            ps.setArray(4, conn.createArrayOf("text", from.stream().map(Enum::name).toArray()));
            return ps.executeUpdate() == 1;
        }
    }

    /** Cancels the run's nodes that have not ended; returns the jobs of those that were running (a pending node has none). */
    public List<UUID> cancelNodes(Connection conn, UUID runId) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE fanout_workflow_node SET state = 'CANCELLED', finished_at = now() "
                + "WHERE run_id = ? AND state IN ('PENDING', 'RUNNING') RETURNING job_id")) {
            ps.setObject(1, runId);
            return uuids(ps).stream().filter(java.util.Objects::nonNull).sorted().toList();
        }
    }

    /** A node of a run, as it is to be written. */
    public record RunNode(UUID runId, Node node) {
    }

    /** Writes these nodes' state, attempt, job, error and times (of any runs), in one statement. */
    public void updateNodes(Connection conn, Collection<RunNode> changed) throws SQLException {
        if (changed.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_workflow_node n SET state = v.state, attempt = v.attempt, job_id = v.job_id, error = v.error,
                       started_at = v.started_at, finished_at = v.finished_at
                FROM unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::uuid[], ?::text[], ?::text[]::timestamptz[], ?::text[]::timestamptz[])
                     AS v(run_id, node, state, attempt, job_id, error, started_at, finished_at)
                WHERE n.run_id = v.run_id AND n.node = v.node""")) {
            ps.setArray(1, conn.createArrayOf("uuid", changed.stream().map(RunNode::runId).toArray()));
            ps.setArray(2, conn.createArrayOf("text", changed.stream().map(c -> c.node().node()).toArray()));
            ps.setArray(3, conn.createArrayOf("text", changed.stream().map(c -> c.node().state().name()).toArray()));
            ps.setArray(4, conn.createArrayOf("int4", changed.stream().map(c -> c.node().attempt()).toArray()));
            ps.setArray(5, conn.createArrayOf("uuid", changed.stream().map(c -> c.node().jobId()).toArray()));
            ps.setArray(6, conn.createArrayOf("text", changed.stream().map(c -> c.node().error()).toArray()));
            ps.setArray(7, conn.createArrayOf("text", changed.stream().map(c -> text(c.node().startedAt())).toArray()));
            ps.setArray(8, conn.createArrayOf("text", changed.stream().map(c -> text(c.node().finishedAt())).toArray()));
            ps.executeUpdate();
        }
    }

    /** Ends the RUNNING runs among these (state and error by run id) in one statement; returns those it ended. */
    public Set<UUID> endRuns(Connection conn, Map<UUID, String> states, Map<UUID, String> errors) throws SQLException {
        Set<UUID> ended = new HashSet<>();
        if (states.isEmpty()) {
            return ended;
        }
        List<UUID> ids = List.copyOf(states.keySet());
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_workflow_run r SET state = v.state, error = v.error, finished_at = now()
                FROM unnest(?::uuid[], ?::text[], ?::text[]) AS v(run_id, state, error)
                WHERE r.run_id = v.run_id AND r.state = 'RUNNING' RETURNING r.run_id""")) {
            ps.setArray(1, conn.createArrayOf("uuid", ids.toArray()));
            ps.setArray(2, conn.createArrayOf("text", ids.stream().map(states::get).toArray()));
            ps.setArray(3, conn.createArrayOf("text", ids.stream().map(errors::get).toArray()));
            ended.addAll(uuids(ps));
        }
        return ended;
    }

    private static List<UUID> uuids(PreparedStatement ps) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getObject(1, UUID.class));
            }
        }
        return ids;
    }

    private static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
