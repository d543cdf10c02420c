package io.fanout.coordinator.store;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries for PostgreSQL work that can fail for a moment (a restart, a failover, dropped
 * connections, a serialization conflict): exponential backoff with jitter, every retry logged
 * and counted (see {@link Retry#getMetrics()}). Errors in the data itself are not retried here.
 */
public final class DatabaseRetry {

    private static final Logger log = LoggerFactory.getLogger(DatabaseRetry.class);

    private DatabaseRetry() {
    }

    /** About 30 s of attempts, 100 ms apart at first and at most 5 s apart. */
    public static Retry create(String name) {
        return create(name, 10);
    }

    public static Retry create(String name, int maxAttempts) {
        Retry retry = Retry.of(name, RetryConfig.custom()
                .maxAttempts(maxAttempts)
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(100), 2.0, 0.2, Duration.ofSeconds(5)))
                .retryOnException(DatabaseRetry::isTransient)
                .build());
        retry.getEventPublisher()
                .onRetry(e -> log.warn("{}: PostgreSQL unavailable (attempt {}: {}); retrying in {} ms", name, e.getNumberOfRetryAttempts(),
                        e.getLastThrowable(), e.getWaitInterval().toMillis()))
                .onSuccess(e -> log.info("{}: PostgreSQL available again after {} retries", name, e.getNumberOfRetryAttempts()))
                .onError(e -> log.error("{}: gave up after {} attempts: {}", name, e.getNumberOfRetryAttempts(), e.getLastThrowable().toString()));
        return retry;
    }

    /** Connection loss, server shutdown, too many connections, serialization failure or deadlock: worth another try. */
    public static boolean isTransient(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLTransientException || c instanceof SQLRecoverableException) {
                return true;
            }
            if (c instanceof SQLException e && e.getSQLState() != null) {
                String state = e.getSQLState();
                if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P") || state.equals("40001") || state.equals("40P01")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether applying one record failed because of that record: an error in the data a statement was
     * given (SQLSTATE class 22: a bad value; 23: a constraint; P0001: raised by a trigger), or an error
     * of the coordinator's own code on that record (no SQL error at all). Any other SQL error (read-only
     * after a failover, a missing table, a statement timeout, the connection) says the database is
     * unwell, and no record is to blame.
     */
    public static boolean isRecordSpecific(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SQLException e) {
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                return state.startsWith("22") || state.startsWith("23") || state.equals("P0001");
            }
        }
        return true;
    }
}
