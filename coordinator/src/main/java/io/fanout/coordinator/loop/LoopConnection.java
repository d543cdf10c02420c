package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.Database;
import io.fanout.coordinator.store.TaskStore;
import java.sql.Connection;
import java.sql.SQLException;

/** The loop thread's own connection, kept between transactions (its staging tables live in its session), replaced after any failure. */
final class LoopConnection {

    /** Work done in one transaction. */
    interface InTransaction<T> {
        T run(Connection c) throws Exception;
    }

    private final Database db;
    private final TaskStore tasks;
    private Connection conn;

    LoopConnection(Database db, TaskStore tasks) {
        this.db = db;
        this.tasks = tasks;
    }

    /** Runs {@code work} and commits; on any failure rolls back and replaces the connection. */
    <T> T inTransaction(InTransaction<T> work) throws Exception {
        Connection c = connection();
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (Exception e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection is replaced anyway
            }
            close();
            throw e;
        }
    }

    private Connection connection() throws SQLException {
        if (conn == null || conn.isClosed()) {
            conn = db.connection();
            conn.setAutoCommit(false);
            tasks.prepare(conn);
            conn.commit();
        }
        return conn;
    }

    void close() {
        if (conn != null) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // the connection is being discarded
            }
            conn = null;
        }
    }
}
