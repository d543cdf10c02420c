package io.fanout.shared.lifecycle;

import static io.fanout.shared.model.JobState.CANCELLED;
import static io.fanout.shared.model.JobState.FAILED;
import static io.fanout.shared.model.JobState.RUNNING;
import static io.fanout.shared.model.JobState.SUCCEEDED;
import static io.fanout.shared.model.JobState.SUSPENDED;

import io.fanout.shared.model.JobState;

/**
 * Which workflow run state may follow which (a run's states are job states; a run never reduces).
 * A run ends when its nodes have; an operator suspends, resumes and cancels it, and a retry
 * reopens a failed or cancelled run (a succeeded one from a chosen node); marking a node succeeded
 * may reopen a failed or cancelled one too.
 */
public final class RunLifecycle {

    public static final Lifecycle<JobState> TABLE = Lifecycle.of("a workflow run", JobState.class)
            .initial(RUNNING)
            .from(RUNNING, SUSPENDED, FAILED, CANCELLED, SUCCEEDED)
            .from(SUSPENDED, RUNNING)
            .from(SUCCEEDED, RUNNING)
            .from(FAILED, RUNNING)
            .from(CANCELLED, RUNNING, SUSPENDED)
            .build();

    private RunLifecycle() {
    }
}
