package io.fanout.coordinator.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class DatabaseRetryTest {

    @Test
    void anUnavailableDatabaseIsWorthAnotherTryAndBadDataIsNot() {
        assertTrue(DatabaseRetry.isTransient(new SQLException("connection refused", "08001")));
        assertTrue(DatabaseRetry.isTransient(new SQLException("terminating connection due to administrator command", "57P01")));
        assertTrue(DatabaseRetry.isTransient(new SQLException("too many connections", "53300")));
        assertTrue(DatabaseRetry.isTransient(new SQLException("deadlock detected", "40P01")));
        assertTrue(DatabaseRetry.isTransient(new IllegalStateException("wrapped", new SQLTransientConnectionException("pool timeout"))));
        assertFalse(DatabaseRetry.isTransient(new SQLException("invalid byte sequence", "22021")));
        assertFalse(DatabaseRetry.isTransient(new SQLException("raise exception", "P0001")));
        assertFalse(DatabaseRetry.isTransient(new IllegalArgumentException("no SQL here")));
    }
}
