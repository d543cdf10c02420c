package io.fanout.console;

import io.fanout.client.FanoutClient;
import io.fanout.query.DeadLetter;
import io.fanout.query.LetterQueries.Filter;
import io.fanout.query.LetterQueries.Replay;
import io.fanout.query.LetterQueries;
import io.fanout.shared.command.LetterCommand;
import io.fanout.shared.command.LetterResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * Dead letters for people (the API, the console and {@code fanout dlq}): listed and shown from
 * PostgreSQL; replayed and parked by commands to the coordinator that owns them (one command per
 * job), whose answers say what was done to each letter. Nothing here writes a letter.
 */
public final class DeadLetters {

    /** The most letters one replay by job or by error class replays: one request cannot load every letter. */
    public static final int MAX_PER_REQUEST = LetterCommand.MAX_LETTERS;

    /** A letter with its replay log. */
    public record Details(DeadLetter letter, List<Replay> replays) {
    }

    private final DataSource db;
    private final FanoutClient client;
    private final Duration answerWithin;

    public DeadLetters(DataSource db, FanoutClient client, Duration answerWithin) {
        this.db = db;
        this.client = Objects.requireNonNull(client, "client");
        this.answerWithin = answerWithin;
    }

    private DeadLetters(DataSource db) {
        this.db = db;
        this.client = null;
        this.answerWithin = Duration.ZERO;
    }

    /** Dead letters to list and show only: without Kafka, a replay or park throws. */
    public static DeadLetters reader(DataSource db) {
        return new DeadLetters(db);
    }

    private FanoutClient client() {
        if (client == null) {
            throw new IllegalStateException("dead letters opened to read only: a replay or park needs Kafka");
        }
        return client;
    }

    public List<DeadLetter> list(Filter filter) throws SQLException {
        try (Connection c = db.getConnection()) {
            return LetterQueries.list(c, filter);
        }
    }

    public Optional<Details> show(long id) throws SQLException {
        try (Connection c = db.getConnection()) {
            Optional<DeadLetter> letter = LetterQueries.find(c, id);
            return letter.map(l -> new Details(l, replays(c, id)));
        }
    }

    private static List<Replay> replays(Connection c, long id) {
        try {
            return LetterQueries.replays(c, id);
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the replay log of dead letter " + id, e);
        }
    }

    /** Replays one letter (a parked one too: a person may). */
    public LetterResult replay(long id, String actor, boolean dryRun) throws SQLException, InterruptedException, TimeoutException {
        Optional<DeadLetter> letter = find(id);
        if (letter.isEmpty()) {
            return new LetterResult(id, false, "no dead letter " + id);
        }
        return client().letters(LetterCommand.replay(letter.get().jobId(), List.of(id), dryRun, actor), answerWithin).getFirst();
    }

    public LetterResult park(long id, String actor) throws SQLException, InterruptedException, TimeoutException {
        Optional<DeadLetter> letter = find(id);
        if (letter.isEmpty()) {
            return new LetterResult(id, false, "no dead letter " + id);
        }
        return client().letters(LetterCommand.park(letter.get().jobId(), List.of(id), actor), answerWithin).getFirst();
    }

    /** Replays the waiting or parked letters of a job, at most {@link #MAX_PER_REQUEST} (the oldest); a call again replays the rest. */
    public List<LetterResult> replayJob(UUID jobId, String actor, boolean dryRun) throws SQLException, InterruptedException {
        return replayJobs(List.of(Objects.requireNonNull(jobId, "jobId")), actor, dryRun).get(jobId);
    }

    /**
     * Replays the waiting or parked letters of each job (at most {@link #MAX_PER_REQUEST} each), one
     * command per job, all sent at once: the results by job, a job without letters with none.
     */
    public Map<UUID, List<LetterResult>> replayJobs(List<UUID> chosen, String actor, boolean dryRun) throws SQLException, InterruptedException {
        List<UUID> jobIds = chosen.stream().distinct().toList();
        List<DeadLetter> letters = new ArrayList<>();
        for (UUID jobId : jobIds) {
            letters.addAll(waiting(new Filter(jobId, null, null, null, MAX_PER_REQUEST)));
        }
        Map<UUID, List<LetterResult>> byJob = new LinkedHashMap<>();
        jobIds.forEach(id -> byJob.put(id, new ArrayList<>()));
        Map<Long, UUID> jobOf = new HashMap<>();
        letters.forEach(l -> jobOf.put(l.id(), l.jobId()));
        for (LetterResult r : replay(letters, actor, dryRun)) {
            byJob.get(jobOf.get(r.letterId())).add(r);
        }
        return byJob;
    }

    /** Replays the waiting or parked letters with this error class, at most {@link #MAX_PER_REQUEST}; a call again replays the rest. */
    public List<LetterResult> replayErrorClass(String errorClass, String actor, boolean dryRun) throws SQLException, InterruptedException {
        if (errorClass == null || errorClass.isBlank()) { // no class would mean every letter
            throw new IllegalArgumentException("name the error class whose letters to replay");
        }
        return replay(waiting(new Filter(null, errorClass, null, null, MAX_PER_REQUEST)), actor, dryRun);
    }

    /** The waiting letters that match, then the parked ones, at most the filter's limit. */
    private List<DeadLetter> waiting(Filter filter) throws SQLException {
        List<DeadLetter> waiting = new ArrayList<>(list(new Filter(filter.jobId(), filter.errorClass(), null, DeadLetter.DEAD, filter.limit())));
        if (waiting.size() < filter.limit()) {
            waiting.addAll(list(new Filter(filter.jobId(), filter.errorClass(), null, DeadLetter.PARKED, filter.limit() - waiting.size())));
        }
        return waiting;
    }

    /**
     * Replays the letters, one command per job, sent at once: a job's letters are replayed in one
     * transaction of its owner, so the job reopens once and cannot end again half-way through. A
     * command its owner does not answer in time leaves its letters pending.
     */
    private List<LetterResult> replay(List<DeadLetter> letters, String actor, boolean dryRun) throws InterruptedException {
        Map<UUID, List<Long>> byJob = new LinkedHashMap<>();
        for (DeadLetter l : letters) {
            byJob.computeIfAbsent(l.jobId() == null ? LetterCommand.NO_JOB : l.jobId(), k -> new ArrayList<>()).add(l.id());
        }
        List<LetterCommand> commands = new ArrayList<>();
        byJob.forEach((job, ids) -> commands.add(LetterCommand.replay(job.equals(LetterCommand.NO_JOB) ? null : job, ids, dryRun, actor)));
        return commands.isEmpty() ? List.of() : client().letters(commands, answerWithin);
    }

    private Optional<DeadLetter> find(long id) throws SQLException {
        try (Connection c = db.getConnection()) {
            return LetterQueries.find(c, id);
        }
    }
}
