package io.fanout.coordinator.control;

import io.fanout.shared.command.Command;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/** The commands a job's or run's owner has carried out ({@code fanout_command}), so that one read again is answered, not carried out twice. */
final class CommandLog {

    /** How a command ended the first time; {@code details} what a dead-letter command did to each letter (JSON), else null. */
    record Applied(boolean done, String message, String details) {
    }

    /** How the command ended, if it was carried out before; else null. */
    Applied find(Connection c, UUID commandId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT done, message, details FROM fanout_command WHERE command_id = ?")) {
            ps.setObject(1, commandId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Applied(rs.getBoolean("done"), rs.getString("message"), rs.getString("details")) : null;
            }
        }
    }

    void record(Connection c, Command command, boolean done, String message) throws SQLException {
        record(c, command, done, message, null);
    }

    void record(Connection c, Command command, boolean done, String message, String details) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO fanout_command (command_id, target, kind, done, message, actor, details) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setObject(1, command.id());
            ps.setObject(2, command.target());
            ps.setString(3, command.verb());
            ps.setBoolean(4, done);
            ps.setString(5, message);
            ps.setString(6, command.actor());
            ps.setString(7, details);
            ps.executeUpdate();
        }
    }
}
