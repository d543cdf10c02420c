package io.fanout.query;

import io.fanout.shared.workflow.NodeState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Workflow runs and their nodes as they stand, for whoever shows or decides on them. */
public final class RunQueries {

    /** The columns {@link #run} reads, in its order. */
    public static final String RUN_COLUMNS = "run_id, client_key, workflow, version, state, owner_partition, params, error, created_at, finished_at";

    /** A run's row. */
    public record Run(UUID runId, String key, String workflow, int version, String state, int ownerPartition, String params, String error,
                      Instant createdAt, Instant finishedAt) {
    }

    /** A node's row. */
    public record Node(String node, NodeState state, int attempt, UUID jobId, String resultJson, String error, Instant startedAt, Instant finishedAt) {
        public Node started(int attempt, UUID jobId, Instant at) {
            return new Node(node, NodeState.RUNNING, attempt, jobId, null, null, at, null);
        }

        public Node ended(NodeState state, String error, Instant at) {
            return new Node(node, state, attempt, jobId, resultJson, error, startedAt, at);
        }
    }

    private RunQueries() {
    }

    /** The runs with these ids, by id. */
    public static Map<UUID, Run> runs(Connection conn, Collection<UUID> runIds) throws SQLException {
        return runs(conn, runIds, false);
    }

    /** As {@link #runs(Connection, Collection)}; with {@code lock}, locked until the transaction ends, in id order (for the runs' owner, who changes them). */
    public static Map<UUID, Run> runs(Connection conn, Collection<UUID> runIds, boolean lock) throws SQLException {
        Map<UUID, Run> runs = new LinkedHashMap<>();
        if (runIds.isEmpty()) {
            return runs;
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + RUN_COLUMNS + " FROM fanout_workflow_run WHERE run_id = ANY (?)"
                + (lock ? " ORDER BY run_id FOR UPDATE" : ""))) {
            ps.setArray(1, conn.createArrayOf("uuid", runIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Run r = run(rs);
                    runs.put(r.runId(), r);
                }
            }
        }
        return runs;
    }

    /** The latest runs created since then, newest first. */
    public static List<Run> recentRuns(Connection conn, Instant since, int limit) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + RUN_COLUMNS + " FROM fanout_workflow_run WHERE created_at >= ? "
                + "ORDER BY created_at DESC LIMIT ?")) {
            ps.setTimestamp(1, Timestamp.from(since));
            ps.setInt(2, limit);
            List<Run> runs = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    runs.add(run(rs));
                }
            }
            return runs;
        }
    }

    /** The nodes of these runs, by run, each run's by name. */
    public static Map<UUID, Map<String, Node>> nodes(Connection conn, Collection<UUID> runIds) throws SQLException {
        Map<UUID, Map<String, Node>> nodes = new LinkedHashMap<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT run_id, node, state, attempt, job_id, result_json, error, started_at, finished_at "
                + "FROM fanout_workflow_node WHERE run_id = ANY (?)")) {
            ps.setArray(1, conn.createArrayOf("uuid", runIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Node n = node(rs, 2);
                    nodes.computeIfAbsent(rs.getObject(1, UUID.class), id -> new LinkedHashMap<>()).put(n.node(), n);
                }
            }
        }
        return nodes;
    }

    /** The run at the result set's row, selected as {@link #RUN_COLUMNS}. */
    public static Run run(ResultSet rs) throws SQLException {
        return new Run(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5), rs.getInt(6), rs.getString(7),
                rs.getString(8), rs.getTimestamp(9).toInstant(), instant(rs.getTimestamp(10)));
    }

    /** The node at the result set's row, its columns from {@code first} on: node, state, attempt, job_id, result_json, error, started_at, finished_at. */
    public static Node node(ResultSet rs, int first) throws SQLException {
        int c = first;
        return new Node(rs.getString(c), NodeState.valueOf(rs.getString(c + 1)), rs.getInt(c + 2), rs.getObject(c + 3, UUID.class), rs.getString(c + 4),
                rs.getString(c + 5), instant(rs.getTimestamp(c + 6)), instant(rs.getTimestamp(c + 7)));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
