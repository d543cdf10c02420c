package io.fanout.shared.lifecycle;

import static io.fanout.shared.model.JobState.CANCELLED;
import static io.fanout.shared.model.JobState.FAILED;
import static io.fanout.shared.model.JobState.REDUCING;
import static io.fanout.shared.model.JobState.RUNNING;
import static io.fanout.shared.model.JobState.SUCCEEDED;
import static io.fanout.shared.model.JobState.SUSPENDED;

import io.fanout.shared.model.JobState;

/**
 * Which job state may follow which.
 *
 * <pre>
 *            ┌──────── suspend ───────┐
 *   RUNNING ─┤                        ├─► SUSPENDED ─ resume ─► RUNNING
 *      │     └── all tasks done ──┬───┘
 *      │                          ├─► REDUCING ─ reduce ends ─► SUCCEEDED | FAILED
 *      │                          └─► SUCCEEDED | FAILED
 *      └─► FAILED (deadline)      any open state ─ cancel ─► CANCELLED
 *   SUCCEEDED | FAILED ─ a dead letter replayed ─► RUNNING | REDUCING
 * </pre>
 *
 * A suspended job whose every task finished ends like a running one; a replayed subtask of a
 * reducing job reopens it as RUNNING (its reduce is discarded). CANCELLED is final.
 */
public final class JobLifecycle {

    public static final Lifecycle<JobState> TABLE = Lifecycle.of("a job", JobState.class)
            .initial(RUNNING)
            .from(RUNNING, SUSPENDED, REDUCING, SUCCEEDED, FAILED)
            .from(SUSPENDED, RUNNING)
            .from(REDUCING, RUNNING, SUSPENDED, SUCCEEDED, FAILED)
            .from(SUCCEEDED, RUNNING, SUSPENDED, REDUCING)
            .from(FAILED, RUNNING, SUSPENDED, REDUCING)
            .from(CANCELLED, JobState.OPEN)
            .build();

    private JobLifecycle() {
    }
}
