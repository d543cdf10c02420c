package io.fanout.executor.runtime;

/**
 * Where an executor's tasks come from: a loop on its own thread that takes task records from
 * Kafka, hands them to {@link Attempts}, and settles each record once its outcome is reported.
 * {@link PollLoop} reads a consumer group's partitions and commits offsets; {@link ShareLoop}
 * reads a share group and acknowledges records one by one.
 */
interface TaskSourceLoop extends Runnable {

    /** Stops taking work and waits for the loop to finish its graceful stop. */
    void stop() throws InterruptedException;

    /** Records received and not yet settled. */
    int inFlight();

    /** The attempts this source hands its records to. */
    Attempts attempts();

    default int running() {
        return attempts().running();
    }

    default long completed() {
        return attempts().completed();
    }

    /** Attempts that did not succeed (failed, timed out, cancelled). */
    default long failed() {
        return attempts().failed();
    }
}
