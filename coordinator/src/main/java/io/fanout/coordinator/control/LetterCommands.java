package io.fanout.coordinator.control;

import io.fanout.coordinator.deadletter.LetterActions;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.query.DeadLetter;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobEvent;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Carries out replay and park commands for the dead letters of the partitions this coordinator
 * owns, in its loop's transaction, as {@link JobCommands} does for jobs: forwarded when read on
 * another partition than the letters' owner's, recorded once with what was done to each letter,
 * answered each time.
 */
final class LetterCommands {

    private final LetterActions actions;
    private final CommandLog commands = new CommandLog();
    private final Clock clock;

    LetterCommands(LetterActions actions, Clock clock) {
        this.actions = actions;
        this.clock = clock;
    }

    /** Carries out the command, read from {@code record}, in {@code c}'s transaction, adding what they owe Kafka to {@code out}. */
    void apply(Connection c, LetterCommand cmd, ConsumerRecord<byte[], byte[]> record, CommandEffects out) throws SQLException {
        Map<Long, DeadLetter> found = DeadLetterStore.read(c, cmd.letters());
        DeadLetter stranger = found.values().stream().filter(l -> !Objects.equals(l.jobId(), cmd.jobId())).findFirst().orElse(null);
        if (stranger != null) { // the command is keyed, forwarded, logged and answered as the job's
            out.answers.add(answer(cmd, JobEvent.Type.REFUSED, "dead letter " + stranger.id() + " is " + (stranger.jobId() == null
                    ? "of an unreadable record, not of a job" : "of job " + stranger.jobId()) + ": send one command per job", List.of()));
            return;
        }
        // one job's letters (or only letters of unreadable records) share one owner: their job's partition, or 0
        DeadLetter any = found.values().stream().findFirst().orElse(null);
        if (any != null && any.ownerPartition() != record.partition()) {
            out.forwards.add(new CommandEffects.Forward(any.ownerPartition(), record));
            return;
        }
        CommandLog.Applied before = commands.find(c, cmd.id());
        if (before != null) {
            List<LetterResult> results = before.details() == null ? List.of() : LetterResult.fromJson(Json.readTree(before.details()));
            out.answers.add(answer(cmd, type(cmd, results), before.message(), results));
            return;
        }
        List<LetterResult> results = carryOut(c, cmd, found.keySet(), out);
        String message = summary(cmd, results);
        JobEvent.Type type = type(cmd, results);
        commands.record(c, cmd, type != JobEvent.Type.REFUSED && !cmd.dryRun(), message, Json.toText(LetterResult.toJson(results)));
        out.answers.add(answer(cmd, type, message, results));
    }

    private List<LetterResult> carryOut(Connection c, LetterCommand cmd, Collection<Long> existing, CommandEffects out) throws SQLException {
        Map<Long, DeadLetter> locked = DeadLetterStore.lock(c, existing);
        List<LetterResult> results = new ArrayList<>();
        for (long id : cmd.letters()) {
            DeadLetter letter = locked.get(id);
            if (letter == null) {
                results.add(new LetterResult(id, false, "no dead letter " + id));
                continue;
            }
            String actor = "user " + cmd.actor();
            LetterActions.Step step = switch (cmd.kind()) {
                case REPLAY -> actions.replay(c, letter, actor, true, cmd.dryRun());
                case PARK -> actions.park(c, letter, actor);
            };
            results.add(step.result());
            if (step.task() != null) {
                out.released.add(step.task());
            }
            if (step.send() != null) {
                out.letterSends.add(step.send());
            }
        }
        return results;
    }

    private static JobEvent.Type type(LetterCommand cmd, List<LetterResult> results) {
        boolean any = results.stream().anyMatch(r -> r.done() || r.wouldReplay());
        return !any ? JobEvent.Type.REFUSED : cmd.kind() == LetterCommand.Kind.REPLAY ? JobEvent.Type.REPLAYED : JobEvent.Type.PARKED;
    }

    private static String summary(LetterCommand cmd, List<LetterResult> results) {
        long done = results.stream().filter(r -> r.done() || r.wouldReplay()).count();
        String what = cmd.dryRun() ? "would be replayed" : cmd.kind() == LetterCommand.Kind.REPLAY ? "replayed" : "parked";
        return done + " of " + results.size() + " dead letters " + what;
    }

    /** The answer; a dry run's is not one of the job's events (it changed nothing), so its followers do not see it. */
    private JobEvent answer(LetterCommand cmd, JobEvent.Type type, String message, List<LetterResult> results) {
        return new JobEvent(type, cmd.dryRun() ? null : cmd.jobId(), null, null, null, null, results.isEmpty() ? null : LetterResult.toJson(results), null, null, null,
                clock.instant().toString()).answering(cmd.id(), message);
    }
}
