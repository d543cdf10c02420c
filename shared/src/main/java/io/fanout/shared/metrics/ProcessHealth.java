package io.fanout.shared.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Whether a process's long-running threads are all alive. A thread whose loop ends by an error
 * reports it here instead of ending quietly: the process turns unhealthy for good ({@code /healthz}
 * answers 503, the {@code fanout.process.healthy} gauge reads 0) and the listeners learn of it (the
 * command line ends the process with a non-zero exit, so a supervisor restarts it). A process that
 * keeps announcing itself as live while one of its loops is dead is what this prevents.
 */
public final class ProcessHealth {

    /** The first fatal failure: which thread, and what ended it. */
    public record Failure(String thread, Throwable cause) {
        @Override
        public String toString() {
            return thread + " stopped by " + cause;
        }
    }

    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final List<Consumer<Failure>> listeners = new CopyOnWriteArrayList<>();

    /** Adds the {@code fanout.process.healthy} gauge (1 healthy, 0 not) to {@code registry}. */
    public ProcessHealth bindTo(MeterRegistry registry) {
        Gauge.builder("fanout.process.healthy", this, h -> h.healthy() ? 1 : 0)
                .description("1 while every long-running thread of the process is alive, 0 once one has died").register(registry);
        return this;
    }

    /** Called when a thread dies (at once if one has died already). */
    public void onFailure(Consumer<Failure> listener) {
        listeners.add(listener);
        Failure f = failure.get();
        if (f != null) {
            listener.accept(f);
        }
    }

    /** {@code thread}'s loop was ended by {@code cause}: the process is unhealthy from now on. */
    public void failed(String thread, Throwable cause) {
        Failure f = new Failure(thread, cause);
        if (failure.compareAndSet(null, f)) {
            listeners.forEach(l -> l.accept(f));
        }
    }

    public boolean healthy() {
        return failure.get() == null;
    }

    /** The first failure, or null while healthy. */
    public Failure failure() {
        return failure.get();
    }
}
