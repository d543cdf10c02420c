package io.fanout.executor.runtime;

/** What a task source does with an attempt's record once the attempt is done with it. */
interface RecordSettlement {

    /** The attempt's outcome is acknowledged by the brokers: its record is done. */
    void reported(Attempt attempt);

    /** The attempt was not run, or was interrupted by a stop: its record goes back for another member to run. */
    void handedBack(Attempt attempt);
}
