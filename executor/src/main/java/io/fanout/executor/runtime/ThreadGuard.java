package io.fanout.executor.runtime;

import io.fanout.shared.metrics.ProcessHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the work of threads whose failure would otherwise go unnoticed (a scheduled task that
 * throws is never run again; a worker that throws leaves its task unreported): the failure makes
 * the executor unhealthy, so it stops and is restarted rather than lingering half-alive.
 */
final class ThreadGuard {

    private static final Logger log = LoggerFactory.getLogger(ThreadGuard.class);

    private final String executorId;
    private final ProcessHealth health;

    ThreadGuard(String executorId, ProcessHealth health) {
        this.executorId = executorId;
        this.health = health;
    }

    Runnable guarded(String what, Runnable work) {
        return () -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                log.error("executor {}: {} failed", executorId, what, e);
                health.failed(what, e);
            } catch (Error e) {
                health.failed(what, e);
                throw e;
            }
        };
    }
}
