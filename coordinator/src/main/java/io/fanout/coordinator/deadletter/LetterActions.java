package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.TaskDispatch;
import io.fanout.coordinator.store.TaskReplay;
import io.fanout.query.DeadLetter;
import io.fanout.shared.TopicNames;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.metrics.FanoutMeters;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays and parks dead letters in the transaction of the coordinator that owns them (commands
 * and the sweeper alike), so nothing else writes a letter, its task or its job meanwhile. A task
 * letter's replay starts a new attempt of the task and reopens its job if it had ended; an
 * unreadable record's replay, and every park, owes a record that is sent once the transaction has
 * committed ({@link LetterSend}, kept in the outbox until sent). Each is written to the replay log.
 */
public final class LetterActions {

    private static final Logger log = LoggerFactory.getLogger(LetterActions.class);

    /** What was done to one letter, and what it owes Kafka: a task attempt to dispatch, or a record to send. */
    public record Step(LetterResult result, TaskDispatch task, LetterSend send) {
        static Step refused(long letterId, String why) {
            return new Step(new LetterResult(letterId, false, why), null, null);
        }
    }

    private final ReplayTargets targets;
    private final LetterRecords records;
    private final FanoutMeters meters;

    public LetterActions(TopicNames topics, FanoutMeters meters) {
        this.targets = new ReplayTargets(topics);
        this.records = new LetterRecords(topics);
        this.meters = meters;
    }

    /**
     * Replays a letter locked in {@code c}'s transaction: a waiting one, or a parked one when a
     * person asks ({@code byPerson}). A dry run says what it would do and changes nothing.
     */
    public Step replay(Connection c, DeadLetter letter, String actor, boolean byPerson, boolean dryRun) throws SQLException {
        boolean waiting = letter.state().equals(DeadLetter.DEAD) || byPerson && letter.state().equals(DeadLetter.PARKED);
        if (!waiting) {
            return Step.refused(letter.id(), "not replayed: the letter is " + letter.state());
        }
        return letter.isTaskLetter() ? replayTask(c, letter, actor, dryRun) : replayRecord(c, letter, actor, dryRun);
    }

    private Step replayTask(Connection c, DeadLetter letter, String actor, boolean dryRun) throws SQLException {
        TaskReplay.Prepared prepared = TaskReplay.prepare(c, letter.jobId(), letter.taskId());
        if (prepared.refusal() != null) {
            return Step.refused(letter.id(), "not replayed: " + prepared.refusal());
        }
        TaskDispatch next = prepared.next();
        if (next.job().ownerPartition() != letter.ownerPartition()) { // never write another partition's job
            return Step.refused(letter.id(), "not replayed: the letter is filed under partition " + letter.ownerPartition() + ", its job under "
                    + next.job().ownerPartition());
        }
        String outcome = "task " + letter.taskId() + " dispatched as attempt " + (next.attempt() + 1) + (prepared.reopens() ? ", job reopened" : "");
        if (dryRun) {
            return new Step(LetterResult.wouldBe(letter.id(), outcome), null, null);
        }
        TaskReplay.apply(c, prepared);
        replayed(c, letter, actor, outcome);
        return new Step(new LetterResult(letter.id(), true, outcome), next, null);
    }

    private Step replayRecord(Connection c, DeadLetter letter, String actor, boolean dryRun) throws SQLException {
        if (letter.originalTopic() == null) {
            return Step.refused(letter.id(), "not replayed: the letter does not say which topic its record came from");
        }
        if (!targets.allows(letter.originalTopic())) {
            log.warn("dead letter {} not replayed by {}: {}", letter.id(), actor, targets.refusal(letter.originalTopic()));
            return Step.refused(letter.id(), "not replayed: " + targets.refusal(letter.originalTopic()));
        }
        String outcome = "record sent back to " + letter.originalTopic() + (letter.originalPartition() == null ? "" : "-" + letter.originalPartition());
        if (dryRun) {
            return new Step(LetterResult.wouldBe(letter.id(), outcome), null, null);
        }
        replayed(c, letter, actor, outcome);
        return new Step(new LetterResult(letter.id(), true, outcome), null, records.returned(c, letter));
    }

    private void replayed(Connection c, DeadLetter letter, String actor, String outcome) throws SQLException {
        DeadLetterStore.setState(c, letter.id(), DeadLetter.REPLAYED, true);
        DeadLetterStore.log(c, letter.id(), "REPLAY", actor, outcome);
        meters.replays(kind(actor), "REPLAY").increment();
        log.info("dead letter {} replayed by {}: {}", letter.id(), actor, outcome);
    }

    /** Parks a letter locked in {@code c}'s transaction: its record goes to the parking topic, and the sweeper leaves it alone. */
    public Step park(Connection c, DeadLetter letter, String actor) throws SQLException {
        if (letter.state().equals(DeadLetter.PARKED)) {
            return Step.refused(letter.id(), "already parked");
        }
        String outcome = "parked after " + letter.replayCount() + " replays";
        DeadLetterStore.setState(c, letter.id(), DeadLetter.PARKED, false);
        DeadLetterStore.log(c, letter.id(), "PARK", actor, outcome);
        meters.replays(kind(actor), "PARK").increment();
        log.info("dead letter {} parked by {}", letter.id(), actor);
        return new Step(new LetterResult(letter.id(), true, outcome), null, records.parked(c, letter));
    }

    private static String kind(String actor) {
        return actor.startsWith(PartitionSweeper.ACTOR) ? "sweeper" : "user";
    }
}
