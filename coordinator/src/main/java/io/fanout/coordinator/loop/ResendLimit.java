package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.TaskStore;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many times each attempt's record was sent again because it was never received; refuses the
 * sends past {@code most}: a record whose deliveries kill the executors is left to a person, who is
 * told once.
 */
final class ResendLimit {

    private static final Logger log = LoggerFactory.getLogger(ResendLimit.class);
    /** Counts kept at most: they are a safety net, not a ledger, so old ones are forgotten all at once. */
    static final int KEPT = 100_000;

    private final int most;
    private final Map<TaskStore.Attempt, Integer> sends = new HashMap<>();

    ResendLimit(int most) {
        this.most = most;
    }

    /** Counts one more send of this attempt's record; returns whether it may go. */
    boolean allow(TaskStore.Attempt a) {
        if (sends.size() >= KEPT && !sends.containsKey(a)) {
            sends.clear(); // counts of tasks long since received
        }
        int n = sends.merge(a, 1, Integer::sum);
        if (n == most + 1) {
            log.error("task {} of job {} (attempt {}): its record was sent again {} times and never reported on; not sent again (cancel its job, "
                    + "or look at why its executors never report it)", a.taskId(), a.jobId(), a.attempt(), most);
        }
        return n <= most;
    }
}
