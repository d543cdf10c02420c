package io.fanout.coordinator.workflow;

import io.fanout.shared.json.Json;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowDefinition;
import io.fanout.shared.workflow.WorkflowDefinitions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The stored versions of workflow definitions ({@code fanout_workflow}): a new version only when the definition changed. */
public final class WorkflowVersions {

    public record Version(WorkflowDefinition definition, int version, Instant createdAt) {
    }

    /**
     * Stores the definition as the next version of its name, unless a version of it is the same
     * definition; returns the version it is stored as. Concurrent defines of one name conflict on the
     * key, and the loser's transaction fails (and is retried by its caller).
     */
    public int define(Connection conn, WorkflowDefinition def) throws SQLException {
        String text = Json.toText(def.toJson());
        try (PreparedStatement ps = conn.prepareStatement("SELECT version FROM fanout_workflow WHERE name = ? AND definition = ? ORDER BY version DESC LIMIT 1")) {
            ps.setString(1, def.name());
            ps.setString(2, text);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getInt(1); // the same definition, stored before: not a new version
                }
            }
        }
        int version = latest(conn, def.name()).map(v -> v.version() + 1).orElse(1);
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO fanout_workflow (name, version, definition) VALUES (?, ?, ?)")) {
            ps.setString(1, def.name());
            ps.setInt(2, version);
            ps.setString(3, text);
            ps.executeUpdate();
        }
        return version;
    }

    public Optional<Version> latest(Connection conn, String name) throws SQLException {
        return version(conn, name, 0);
    }

    /** A stored version ({@code 0}: the latest). */
    public Optional<Version> version(Connection conn, String name, int version) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT definition, version, created_at FROM fanout_workflow WHERE name = ? "
                + (version > 0 ? "AND version = ? " : "") + "ORDER BY version DESC LIMIT 1")) {
            ps.setString(1, name);
            if (version > 0) {
                ps.setInt(2, version);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Version(read(rs.getString(1)), rs.getInt(2), rs.getTimestamp(3).toInstant()));
            }
        }
    }

    /** The latest version of every stored workflow, by name. */
    public List<Version> latestOfEach(Connection conn) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT DISTINCT ON (name) definition, version, created_at FROM fanout_workflow "
                + "ORDER BY name, version DESC");
             ResultSet rs = ps.executeQuery()) {
            List<Version> all = new ArrayList<>();
            while (rs.next()) {
                all.add(new Version(read(rs.getString(1)), rs.getInt(2), rs.getTimestamp(3).toInstant()));
            }
            return all;
        }
    }

    private static WorkflowDefinition read(String text) {
        try {
            return WorkflowDefinitions.parse(Json.readTree(text));
        } catch (InvalidWorkflowException e) {
            throw new IllegalStateException("a stored workflow definition no longer reads: " + e.getMessage(), e);
        }
    }
}
