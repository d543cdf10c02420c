package io.fanout.bench.peers;

/** A job scheduler measured against Fanout: enqueues every task first, then executes them all. */
interface Peer {

    /** Name and version, as printed. */
    String name();

    /** The settings it runs with, as printed. */
    String settings();

    /**
     * Runs {@code tasks} no-op tasks on a fresh schema, each calling {@link ExactlyOnce#executed}
     * with its index, and returns once every index ran (or the tally's timeout passed) and the
     * scheduler stopped.
     */
    Timing run(ExactlyOnce tally) throws Exception;

    /** Enqueue: from before the first task is stored to the last; execute: from there to the last execution. */
    record Timing(long enqueueNanos, long executeNanos) {
    }
}
