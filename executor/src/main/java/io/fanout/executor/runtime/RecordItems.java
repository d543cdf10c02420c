package io.fanout.executor.runtime;

/**
 * The tasks one task record carries (one, or a slice's), and how each has left this executor: its
 * outcome reported, or handed back unrun. The record is finished when every task is; it goes back
 * to another member when none is in flight here any more and one was handed back. Not thread-safe:
 * its holder synchronizes.
 */
final class RecordItems {

    private static final byte IN_FLIGHT = 0;
    private static final byte HANDED_BACK = 1;
    private static final byte FINISHED = 2;

    private final byte[] states;
    private int inFlight;
    private int unfinished;

    RecordItems(int items) {
        if (items < 1) {
            throw new IllegalArgumentException("a task record carries at least one task, got " + items);
        }
        this.states = new byte[items];
        this.inFlight = items;
        this.unfinished = items;
    }

    /** The task's outcome is reported; returns whether it was in flight until now (not handed back, not finished before). */
    boolean finish(int item) {
        byte was = states[item];
        if (was == FINISHED) {
            return false;
        }
        states[item] = FINISHED;
        unfinished--;
        if (was == IN_FLIGHT) {
            inFlight--;
            return true;
        }
        return false;
    }

    /** The task goes back unrun (or interrupted unreported); returns whether it was in flight until now. */
    boolean handBack(int item) {
        if (states[item] != IN_FLIGHT) {
            return false;
        }
        states[item] = HANDED_BACK;
        inFlight--;
        return true;
    }

    /** Every task's outcome is reported: the record is done with. */
    boolean finished() {
        return unfinished == 0;
    }

    /** No task is in flight here any more, and one was handed back: the record is for another member to run. */
    boolean handedBack() {
        return inFlight == 0 && unfinished > 0;
    }

    /** How many of its tasks are still in flight here. */
    int inFlight() {
        return inFlight;
    }
}
