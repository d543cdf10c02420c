package io.fanout.coordinator.deadletter;

import io.fanout.coordinator.SweeperPolicy;
import io.fanout.coordinator.dispatch.TaskDispatch;
import io.fanout.coordinator.lease.Lease;
import io.fanout.coordinator.outbox.Outbox;
import io.fanout.coordinator.outbox.Owed;
import io.fanout.coordinator.dispatch.TaskPublisher;
import io.fanout.coordinator.store.DeadLetter;
import io.fanout.coordinator.store.DeadLetterStore;
import io.fanout.coordinator.store.DeadLetterStore.Filter;
import io.fanout.coordinator.store.DeadLetterStore.Replay;
import io.fanout.coordinator.store.TaskReplay;
import io.fanout.shared.DeadLetterHeaders;
import io.fanout.shared.metrics.FanoutMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.fanout.shared.TopicNames;
import io.fanout.shared.wire.WireCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead letters by hand and by the sweeper: list them, show one, replay, park. Replaying a task
 * letter starts a new attempt of the task and reopens its job if the job had ended (a job that
 * ran its reduce without the task runs it again once the task is done); replaying an unreadable
 * record sends its bytes back where they came from. The letters of one job are replayed in one
 * transaction (the job reopens once, not once per letter); a task's new attempt is owed in the
 * outbox and sent after the commit. A park is a transaction of its own. Each is written to the
 * replay log.
 */
public final class DeadLetters {

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    /** The most letters one replay by job or by error class reads and replays: one request cannot load every letter. */
    public static final int MAX_PER_REQUEST = 500;

    /** What happened to one letter. */
    public record Result(long letterId, boolean done, String outcome) {
        /** In a dry run: the letter would have been replayed. */
        public boolean wouldReplay() {
            return outcome.startsWith(WOULD_BE);
        }
    }

    private static final String WOULD_BE = "would be ";

    /** A letter with its replay log. */
    public record Details(DeadLetter letter, List<Replay> replays) {
    }

    /** Refused: the sweeper's lease moved to another coordinator. */
    public static final class LeaseLostException extends Exception {
        LeaseLostException(String message) {
            super(message);
        }
    }

    /** A check that the one doing the work may still do it, run inside its transaction. */
    private interface Fence {
        boolean holds(Connection conn) throws SQLException;
    }

    private static final Fence PERSON = conn -> true;

    private final DataSource db;
    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;
    private final ReplayTargets targets;
    private final TaskPublisher publisher;
    private final FanoutMeters meters;
    private final Outbox outbox = new Outbox();

    public DeadLetters(DataSource db, Producer<byte[], byte[]> producer, TopicNames topics) {
        this(db, producer, topics, new FanoutMeters(new SimpleMeterRegistry()));
    }

    public DeadLetters(DataSource db, Producer<byte[], byte[]> producer, TopicNames topics, FanoutMeters meters) {
        this.meters = meters;
        this.db = db;
        this.producer = producer;
        this.topics = topics;
        this.targets = new ReplayTargets(topics);
        this.publisher = new TaskPublisher(producer, topics);
    }

    public List<DeadLetter> list(Filter filter) throws SQLException {
        try (Connection c = db.getConnection()) {
            return DeadLetterStore.list(c, filter);
        }
    }

    public Optional<Details> show(long id) throws SQLException {
        try (Connection c = db.getConnection()) {
            Optional<DeadLetter> letter = DeadLetterStore.find(c, id);
            return letter.isEmpty() ? Optional.empty() : Optional.of(new Details(letter.get(), DeadLetterStore.replays(c, id)));
        }
    }

    /** Replays one letter (a parked one too: a person may). */
    public Result replay(long id, String actor, boolean dryRun) throws SQLException {
        return replayOne(id, "user " + actor, true, PERSON, dryRun);
    }

    /** Replays the waiting or parked letters of a job, at most {@link #MAX_PER_REQUEST} (the oldest); a call again replays the rest. */
    public List<Result> replayJob(UUID jobId, String actor, boolean dryRun) throws SQLException {
        return replayAll(new Filter(Objects.requireNonNull(jobId, "jobId"), null, null, null, MAX_PER_REQUEST), actor, dryRun);
    }

    /** Replays the waiting or parked letters with this error class, at most {@link #MAX_PER_REQUEST}; a call again replays the rest. */
    public List<Result> replayErrorClass(String errorClass, String actor, boolean dryRun) throws SQLException {
        if (errorClass == null || errorClass.isBlank()) { // no class would mean every letter
            throw new IllegalArgumentException("name the error class whose letters to replay");
        }
        return replayAll(new Filter(null, errorClass, null, null, MAX_PER_REQUEST), actor, dryRun);
    }

    public Result park(long id, String actor) throws SQLException {
        try {
            return parkOne(id, "user " + actor, PERSON);
        } catch (LeaseLostException e) {
            throw new IllegalStateException("a person's park cannot lose a lease", e);
        }
    }

    /**
     * Replays the waiting and parked letters that match, one transaction per job: a job's letters
     * reopen it together, so it cannot end again (a replayed task done before its siblings were
     * replayed) half-way through.
     */
    private List<Result> replayAll(Filter filter, String actor, boolean dryRun) throws SQLException {
        Map<Object, List<Long>> byJob = new LinkedHashMap<>();
        List<DeadLetter> waiting = new ArrayList<>(list(new Filter(filter.jobId(), filter.errorClass(), null, DeadLetter.DEAD, filter.limit())));
        if (waiting.size() < filter.limit()) {
            waiting.addAll(list(new Filter(filter.jobId(), filter.errorClass(), null, DeadLetter.PARKED, filter.limit() - waiting.size())));
        }
        for (DeadLetter l : waiting) {
            byJob.computeIfAbsent(l.jobId() == null ? (Object) l.id() : l.jobId(), k -> new ArrayList<>()).add(l.id());
        }
        List<Result> results = new ArrayList<>();
        for (List<Long> ids : byJob.values()) {
            results.addAll(replayTogether(ids, "user " + actor, true, PERSON, dryRun));
        }
        return results;
    }

    /**
     * One sweep under the lease {@code token}: parks the letters that have had all their replays,
     * then replays those old enough whose error class the policy allows. Stops at once if the
     * lease is lost.
     */
    public List<Result> sweep(SweeperPolicy policy, Lease lease, long token) throws SQLException, LeaseLostException {
        Fence fence = conn -> lease.check(conn, token);
        String actor = "sweeper " + lease.holder();
        List<Result> results = new ArrayList<>();
        for (List<Long> ids : byJob("SELECT id, job_id FROM fanout_dead_letter WHERE state = 'DEAD' AND replay_count >= ? ORDER BY id LIMIT "
                + policy.perSweep(), policy.maxReplays(), null, null)) {
            for (long id : ids) {
                results.add(parkOne(id, actor, fence));
            }
        }
        // The age is counted from when the letter was indexed (created_at), not from its failed-at, which a
        // letter written by an executor claims itself. Unreadable records go back only to task and status topics.
        // A task letter that cannot be replayed (its job cancelled or past its deadline, its task no longer failed) is not
        // picked: it would be refused on every sweep and, enough of them, hold every other letter back for good.
        for (List<Long> ids : byJob("SELECT id, job_id FROM fanout_dead_letter d WHERE state = 'DEAD' AND replay_count < ? "
                + "AND created_at <= now() - ? * interval '1 millisecond' AND (cardinality(?::text[]) = 0 OR error_class = ANY (?::text[])) "
                + "AND (task_id IS NOT NULL OR original_topic = ? OR original_topic = ? OR starts_with(original_topic, ?)) "
                + "AND (task_id IS NULL OR EXISTS (SELECT 1 FROM fanout_task t JOIN fanout_job j ON j.job_id = t.job_id "
                + "WHERE t.job_id = d.job_id AND t.task_id = d.task_id AND t.state IN ('FAILED', 'TIMED_OUT') AND j.state <> 'CANCELLED' "
                + "AND (j.deadline_at IS NULL OR j.deadline_at > now()))) "
                + "ORDER BY id LIMIT " + policy.perSweep(), policy.maxReplays(), policy.minAge(), policy.replayableErrors())) {
            for (Result r : replayTogether(ids, actor, false, fence, false)) {
                if (r.outcome().startsWith(LEASE_LOST)) {
                    throw new LeaseLostException(r.outcome());
                }
                results.add(r);
            }
        }
        return results;
    }

    private static final String LEASE_LOST = "lease lost";

    /** The ids of the letters a query selects ({@code id, job_id}), grouped by job; a letter without a job is a group of its own. */
    private List<List<Long>> byJob(String sql, int maxReplays, Duration minAge, List<String> classes) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, maxReplays);
            if (minAge != null) {
                ps.setLong(2, minAge.toMillis());
                ps.setArray(3, c.createArrayOf("text", classes.toArray()));
                ps.setArray(4, c.createArrayOf("text", classes.toArray()));
                ps.setString(5, topics.status());
                ps.setString(6, topics.tasks());
                ps.setString(7, topics.tasks() + ".");
            }
            Map<Object, List<Long>> groups = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    Object job = rs.getObject(2);
                    groups.computeIfAbsent(job == null ? (Object) id : job, k -> new ArrayList<>()).add(id);
                }
            }
            return new ArrayList<>(groups.values());
        }
    }

    private Result replayOne(long id, String actor, boolean byPerson, Fence fence, boolean dryRun) throws SQLException {
        return replayTogether(List.of(id), actor, byPerson, fence, dryRun).get(0);
    }

    /**
     * Replays these letters in one transaction. A task letter's new attempt is owed in the outbox
     * by that transaction and sent after it commits (the job's coordinator re-sends it if this
     * send fails): a record sent before the commit could be run and reported before the attempt
     * it belongs to exists, and that report would be lost. An unreadable record's bytes are sent
     * back before the commit, which waits for them; if one is not acknowledged, nothing is replayed.
     */
    private List<Result> replayTogether(List<Long> ids, String actor, boolean byPerson, Fence fence, boolean dryRun) throws SQLException {
        List<Step> steps = new ArrayList<>();
        List<Long> owed;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                Owed tasks = new Owed();
                for (long id : ids) {
                    Step step = replayLocked(c, id, actor, byPerson, fence, dryRun);
                    steps.add(step);
                    if (step.task() != null) {
                        tasks.task(step.task().job().ownerPartition(), step.task().task().jobId(), step.task().task().taskId());
                    }
                }
                String unsent = null;
                for (Step step : steps) {
                    if (step.send() != null && unsent == null) {
                        unsent = await(step.send());
                    }
                }
                if (unsent != null || steps.stream().noneMatch(Step::replayed)) {
                    c.rollback();
                    String why = "not replayed: " + unsent;
                    return steps.stream().map(st -> new Result(st.letterId(), false, st.replayed() ? why : st.outcome())).toList();
                }
                owed = outbox.record(c, tasks);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        List<Result> results = new ArrayList<>();
        List<Future<?>> dispatched = new ArrayList<>();
        for (Step step : steps) {
            if (step.task() != null) {
                dispatched.add(publisher.publish(step.task()));
            }
        }
        String undispatched = null;
        for (Future<?> f : dispatched) {
            String why = await(f);
            undispatched = undispatched == null ? why : undispatched;
        }
        if (undispatched == null) {
            settle(owed);
        } else {
            log.warn("replayed tasks were not all dispatched ({}); the coordinator owning their job sends them at its next reconcile pass", undispatched);
        }
        for (Step step : steps) {
            if (step.replayed()) {
                meters.replays(actor.startsWith("sweeper") ? "sweeper" : "user", "REPLAY").increment();
                log.info("dead letter {} replayed by {}: {}", step.letterId(), actor, step.outcome());
            }
            results.add(new Result(step.letterId(), step.replayed(), step.outcome()));
        }
        return results;
    }

    private void settle(List<Long> owed) {
        try (Connection c = db.getConnection()) {
            outbox.settle(c, owed);
        } catch (SQLException e) {
            log.warn("could not settle outbox rows {} (the reconciler sends their records again, harmlessly): {}", owed, e.getMessage());
        }
    }

    /**
     * One letter's replay within a transaction: refused, a task attempt to dispatch once committed,
     * or a record sent back that must be acknowledged before the commit.
     */
    private record Step(long letterId, String outcome, TaskDispatch task, Future<?> send) {
        static Step refused(long letterId, String why) {
            return new Step(letterId, why, null, null);
        }

        boolean replayed() {
            return task != null || send != null;
        }
    }

    private Step replayLocked(Connection c, long id, String actor, boolean byPerson, Fence fence, boolean dryRun) throws SQLException {
        Optional<DeadLetter> found = DeadLetterStore.lock(c, id);
        if (found.isEmpty()) {
            return Step.refused(id, "no dead letter " + id);
        }
        DeadLetter letter = found.get();
        boolean waiting = letter.state().equals(DeadLetter.DEAD) || byPerson && letter.state().equals(DeadLetter.PARKED);
        if (!waiting) {
            return Step.refused(id, "not replayed: the letter is " + letter.state());
        }
        if (!fence.holds(c)) {
            return Step.refused(id, LEASE_LOST + ": another coordinator sweeps now");
        }
        if (letter.isTaskLetter()) {
            return replayTask(c, letter, actor, dryRun);
        }
        return replayRecord(c, letter, actor, dryRun);
    }

    private Step replayTask(Connection c, DeadLetter letter, String actor, boolean dryRun) throws SQLException {
        TaskReplay.Prepared prepared = TaskReplay.prepare(c, letter.jobId(), letter.taskId());
        if (prepared.refusal() != null) {
            return Step.refused(letter.id(), "not replayed: " + prepared.refusal());
        }
        TaskDispatch next = prepared.next();
        String outcome = "task " + letter.taskId() + " dispatched as attempt " + (next.attempt() + 1) + (prepared.reopens() ? ", job reopened" : "");
        if (dryRun) {
            return Step.refused(letter.id(), WOULD_BE + outcome);
        }
        TaskReplay.apply(c, prepared);
        DeadLetterStore.setState(c, letter.id(), DeadLetter.REPLAYED, true);
        DeadLetterStore.log(c, letter.id(), "REPLAY", actor, outcome);
        return new Step(letter.id(), outcome, next, null);
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
            return Step.refused(letter.id(), WOULD_BE + outcome);
        }
        byte[][] bytes = DeadLetterStore.recordBytes(c, letter.id());
        DeadLetterStore.setState(c, letter.id(), DeadLetter.REPLAYED, true);
        DeadLetterStore.log(c, letter.id(), "REPLAY", actor, outcome);
        return new Step(letter.id(), outcome, null, producer.send(new ProducerRecord<>(letter.originalTopic(), letter.originalPartition(), bytes[0], bytes[1])));
    }

    private Result parkOne(long id, String actor, Fence fence) throws SQLException, LeaseLostException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<DeadLetter> found = DeadLetterStore.lock(c, id);
                if (found.isEmpty() || found.get().state().equals(DeadLetter.PARKED)) {
                    c.rollback();
                    return new Result(id, false, found.isEmpty() ? "no dead letter " + id : "already parked");
                }
                if (!fence.holds(c)) {
                    c.rollback();
                    throw new LeaseLostException(LEASE_LOST + ": another coordinator sweeps now");
                }
                DeadLetter letter = found.get();
                String sent = await(producer.send(parkingRecord(c, letter)));
                if (sent != null) {
                    c.rollback();
                    return new Result(id, false, "not parked: " + sent);
                }
                String outcome = "parked after " + letter.replayCount() + " replays";
                DeadLetterStore.setState(c, id, DeadLetter.PARKED, false);
                DeadLetterStore.log(c, id, "PARK", actor, outcome);
                c.commit();
                meters.replays(actor.startsWith("sweeper") ? "sweeper" : "user", "PARK").increment();
                log.info("dead letter {} parked by {}", id, actor);
                return new Result(id, true, outcome);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** The letter as a record of the parking topic: the task's record (or the unreadable bytes) with the letter's headers. */
    private ProducerRecord<byte[], byte[]> parkingRecord(Connection c, DeadLetter l) throws SQLException {
        DeadLetterHeaders h = DeadLetterHeaders.of(DeadLetterHeaders.Reason.valueOf(l.reason()))
                .original(l.originalTopic(), l.originalPartition() == null ? -1 : l.originalPartition(), l.originalOffset() == null ? -1 : l.originalOffset())
                .exception(l.errorClass(), l.errorMessage(), l.stackTrace())
                .text(DeadLetterHeaders.EXECUTOR, l.executorId())
                .text(DeadLetterHeaders.FIRST_FAILURE, l.firstFailedAt() == null ? null : l.firstFailedAt().toString())
                .text(DeadLetterHeaders.LAST_FAILURE, l.failedAt().toString());
        if (!l.isTaskLetter()) {
            byte[][] bytes = DeadLetterStore.recordBytes(c, l.id());
            return new ProducerRecord<>(topics.parkedLetters(), null, bytes[0], bytes[1], h.build());
        }
        h.text(DeadLetterHeaders.JOB, l.jobId().toString()).text(DeadLetterHeaders.TASK, l.taskId().toString())
                .text(DeadLetterHeaders.ATTEMPTS, String.valueOf(l.attempts()));
        TaskDispatch current = TaskReplay.current(c, l.jobId(), l.taskId());
        byte[] value = current == null ? null : WireCodec.encodeTask(current.record());
        return new ProducerRecord<>(topics.parkedLetters(), null, l.taskId().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), value, h.build());
    }

    /** Waits for a send; returns null when acknowledged, else why not. */
    private static String await(Future<?> send) {
        try {
            send.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return "the record was not acknowledged: " + e.getCause();
        } catch (TimeoutException e) {
            return "the record was not acknowledged within 30 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
