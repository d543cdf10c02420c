package io.fanout.coordinator.lease;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A named lease in PostgreSQL: at most one holder at a time, judged by the database's clock (so
 * the coordinators' clocks do not matter). Each new holder gets a larger token; work done under
 * the lease calls {@link #check} in its own transaction, which fails once the lease has moved on
 * and keeps it from moving while that transaction runs.
 */
public final class Lease {

    private final String name;
    private final String holder;

    public Lease(String name, String holder) {
        this.name = name;
        this.holder = holder;
    }

    /** Takes the lease if it is free or expired, or renews it if held; returns the token, or empty if another holds it. */
    public OptionalLong acquire(Connection conn, Duration ttl) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("""
                UPDATE fanout_lease SET
                    token = CASE WHEN holder = ? AND expires_at > now() THEN token ELSE token + 1 END,
                    holder = ?,
                    expires_at = now() + ? * interval '1 millisecond'
                WHERE name = ? AND (holder = ? OR expires_at <= now())
                RETURNING token""")) {
            ps.setString(1, holder);
            ps.setString(2, holder);
            ps.setLong(3, ttl.toMillis());
            ps.setString(4, name);
            ps.setString(5, holder);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        }
    }

    /**
     * Inside a transaction: whether the lease is still held with {@code token}. If so, the lease
     * row is share-locked until the transaction ends, so no one can take it over meanwhile.
     */
    public boolean check(Connection conn, long token) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT 1 FROM fanout_lease WHERE name = ? AND holder = ? AND token = ? AND expires_at > now() FOR SHARE")) {
            ps.setString(1, name);
            ps.setString(2, holder);
            ps.setLong(3, token);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Gives the lease up so another can take it at once. */
    public void release(Connection conn, long token) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "UPDATE fanout_lease SET expires_at = '-infinity' WHERE name = ? AND holder = ? AND token = ?")) {
            ps.setString(1, name);
            ps.setString(2, holder);
            ps.setLong(3, token);
            ps.executeUpdate();
        }
    }

    public String holder() {
        return holder;
    }

    public String name() {
        return name;
    }
}
