package io.fanout.shared.lifecycle;

import static io.fanout.shared.model.TaskState.CANCELLED;
import static io.fanout.shared.model.TaskState.CREATED;
import static io.fanout.shared.model.TaskState.DISPATCHED;
import static io.fanout.shared.model.TaskState.FAILED;
import static io.fanout.shared.model.TaskState.RECEIVED;
import static io.fanout.shared.model.TaskState.RETRY_WAIT;
import static io.fanout.shared.model.TaskState.RUNNING;
import static io.fanout.shared.model.TaskState.SUCCEEDED;
import static io.fanout.shared.model.TaskState.TIMED_OUT;

import io.fanout.shared.model.TaskState;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which stored task state may follow which. Within one attempt a task only climbs in rank
 * ({@link TaskState#rank}): an executor's report may skip steps (a SUCCEEDED may come before its
 * RUNNING), never go back. Only the coordinator starts an attempt over: a retry (RETRY_WAIT, then
 * DISPATCHED when due), a dead letter replayed (FAILED or TIMED_OUT straight to DISPATCHED), or an
 * attempt handed back unstarted by an executor because its job is suspended (back to CREATED, same
 * attempt). {@link TaskState#SUSPENDED} is reported, never stored, so nothing reaches it.
 */
public final class TaskLifecycle {

    /** The states of an attempt that has not ended. */
    public static final Set<TaskState> UNFINISHED = EnumSet.of(CREATED, DISPATCHED, RECEIVED, RUNNING, RETRY_WAIT);

    public static final Lifecycle<TaskState> TABLE = Lifecycle.of("a task", TaskState.class)
            .initial(CREATED, DISPATCHED)
            .from(CREATED, DISPATCHED, RECEIVED)
            .from(DISPATCHED, CREATED, RETRY_WAIT, FAILED, TIMED_OUT)
            .from(RECEIVED, CREATED, DISPATCHED)
            .from(RUNNING, CREATED, DISPATCHED, RECEIVED)
            .from(SUCCEEDED, CREATED, DISPATCHED, RECEIVED, RUNNING)
            .from(FAILED, CREATED, DISPATCHED, RECEIVED, RUNNING)
            .from(TIMED_OUT, CREATED, DISPATCHED, RECEIVED, RUNNING)
            .from(RETRY_WAIT, CREATED, DISPATCHED, RECEIVED, RUNNING)
            .from(CANCELLED, UNFINISHED)
            .build();

    private TaskLifecycle() {
    }
}
