package io.fanout.coordinator.loop;

import io.fanout.coordinator.store.JobRow;
import io.fanout.coordinator.store.NewTask;
import io.fanout.shared.model.JobEvent;
import java.util.ArrayList;
import java.util.List;

/** What a batch does once its transaction has committed: dispatch tasks, emit events, start reduces. */
final class AfterCommit {

    /** A task with what its record needs from its job, and the pool whose topic it goes to. */
    record Dispatch(NewTask task, String processor, String pool, int statusPartition) {
    }

    final List<Dispatch> tasks = new ArrayList<>();
    final List<JobEvent> events = new ArrayList<>();
    final List<JobRow> reduces = new ArrayList<>();
    final List<JobRow> progressed = new ArrayList<>();
}
