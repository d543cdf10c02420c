package io.fanout.executor;

import io.fanout.executor.runtime.ExecutorRuntime;
import io.fanout.shared.metrics.ProcessHealth;

/**
 * An executor process's Fanout runtime: joins the executor consumer group and runs the tasks it
 * is given on the configured processors. Start with {@link #start}; {@link #close} is a graceful
 * stop (running tasks finish or are handed back, offsets are committed, the member leaves).
 */
public final class FanoutExecutor implements AutoCloseable {

    private final ExecutorRuntime runtime;

    private FanoutExecutor(ExecutorRuntime runtime) {
        this.runtime = runtime;
    }

    public static FanoutExecutor start(ExecutorConfig config) {
        return new FanoutExecutor(ExecutorRuntime.start(config));
    }

    public String id() {
        return runtime.config().executorId();
    }

    /** Whether every thread of this executor is alive; once one has died, the executor no longer announces itself. */
    public ProcessHealth health() {
        return runtime.config().health();
    }

    /** Tasks received and not yet finished. */
    public int inFlight() {
        return runtime.inFlight();
    }

    @Override
    public void close() throws InterruptedException {
        runtime.close();
    }
}
