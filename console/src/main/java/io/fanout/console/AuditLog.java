package io.fanout.console;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The record of every state-changing action taken through the API. */
public final class AuditLog {

    /** One action: who (the token's name), what, on what, how it ended, from where. */
    public record Entry(long id, Instant at, String actor, String action, String target, String outcome, String remote, String detail) {
    }

    private final DataSource db;

    public AuditLog(DataSource db) {
        this.db = db;
    }

    public void record(String actor, String action, String target, String outcome, String remote, String detail) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO fanout_audit (actor, action, target, outcome, remote, detail) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, actor);
            ps.setString(2, action);
            ps.setString(3, target);
            ps.setString(4, outcome);
            ps.setString(5, remote);
            ps.setString(6, detail);
            ps.executeUpdate();
        }
    }

    /** The latest entries, newest first. */
    public List<Entry> latest(int limit) throws SQLException {
        return page(null, null, limit);
    }

    /**
     * One page of entries, newest first: those older than entry {@code before} (null: from the
     * newest), of one action only if {@code action} is set (the real entries stay findable
     * however many refused sign-ins there are). The next page starts before the last id of this one.
     */
    public List<Entry> page(Long before, String action, int limit) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT id, at, actor, action, target, outcome, remote, detail FROM fanout_audit WHERE (?::bigint IS NULL OR id < ?) "
                        + "AND (?::text IS NULL OR action = ?) ORDER BY id DESC LIMIT ?")) {
            ps.setObject(1, before);
            ps.setObject(2, before);
            ps.setString(3, action);
            ps.setString(4, action);
            ps.setInt(5, limit);
            List<Entry> entries = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(new Entry(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getString(8)));
                }
            }
            return entries;
        }
    }
}
