package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.SweeperPolicy;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.query.DeadLetter;
import io.fanout.shared.TopicNames;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The dead-letter sweeper of the partitions this coordinator owns, run from its loop's
 * housekeeping every {@link SweeperPolicy#interval()}: parks the letters that have had all their
 * replays, then replays those old enough whose error class the policy allows, at most
 * {@link SweeperPolicy#perSweep()} of each, in the loop's transaction fenced by the partitions'
 * epochs. Each partition's letters are swept by its owner alone, so a sweep never races a person's
 * replay, a retry or retention.
 */
public final class PartitionSweeper {

    /** The replay log's actor prefix for the sweeper's work. */
    static final String ACTOR = "sweeper";

    private final SweeperPolicy policy;
    private final LetterActions actions;
    private final TopicNames topics;
    private final String actor;
    private long next;

    public PartitionSweeper(SweeperPolicy policy, LetterActions actions, TopicNames topics, String coordinatorId, long now) {
        this.policy = policy;
        this.actions = actions;
        this.topics = topics;
        this.actor = ACTOR + " " + coordinatorId;
        this.next = now + policy.interval().toMillis();
    }

    public boolean due(long now) {
        return now >= next;
    }

    public void swept(long now) {
        next = now + policy.interval().toMillis();
    }

    /** One sweep of {@code owned}, in {@code c}'s transaction: what it did to each letter it picked. */
    public List<LetterActions.Step> sweep(Connection c, Collection<Integer> owned) throws SQLException {
        List<LetterActions.Step> steps = new ArrayList<>();
        for (DeadLetter l : DeadLetterStore.lock(c, DeadLetterStore.exhausted(c, owned, policy.maxReplays(), policy.perSweep())).values()) {
            steps.add(actions.park(c, l, actor));
        }
        List<Long> due = DeadLetterStore.dueForReplay(c, owned, policy.maxReplays(), policy.minAge(), policy.replayableErrors(), topics.status(),
                topics.tasks(), policy.perSweep());
        for (DeadLetter l : DeadLetterStore.lock(c, due).values()) {
            steps.add(actions.replay(c, l, actor, false, false));
        }
        return steps;
    }
}
