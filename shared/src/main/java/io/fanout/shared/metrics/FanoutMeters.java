package io.fanout.shared.metrics;

import io.fanout.shared.DeadLetterHeaders;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Every meter Fanout defines, in one place: its name, what it measures, and its tags. Coordinators
 * and executors each use their share; Kafka client, HikariCP and JVM meters are bound next to
 * them. Names use Micrometer's dotted style; Prometheus sees {@code fanout_jobs_accepted_total} and
 * so on.
 */
public final class FanoutMeters {

    private final MeterRegistry registry;

    public FanoutMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** JVM memory, GC, threads, classes, CPU and uptime. */
    public FanoutMeters withJvmMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return this;
    }

    // --- coordinator ---

    /** Job requests accepted. */
    public Counter jobsAccepted() {
        return Counter.builder("fanout.jobs.accepted").description("Job requests accepted").register(registry);
    }

    /** Job requests rejected (bad JSON, unknown processor or pool, ...). */
    public Counter jobsRejected() {
        return Counter.builder("fanout.jobs.rejected").description("Job requests rejected").register(registry);
    }

    /** Jobs that ended, by final state (SUCCEEDED, FAILED). */
    public Counter jobsFinished(String state) {
        return Counter.builder("fanout.jobs.finished").description("Jobs that ended, by final state").tag("state", state).register(registry);
    }

    /** Jobs failed because their deadline passed (they are counted in {@code fanout.jobs.finished} as FAILED too). */
    public Counter jobsPastDeadline() {
        return Counter.builder("fanout.jobs.deadline.exceeded").description("Jobs failed because their deadline passed").register(registry);
    }

    /** Workflow runs that ended, by final state (SUCCEEDED, FAILED). */
    public Counter workflowRunsFinished(String state) {
        return Counter.builder("fanout.workflow.runs.finished").description("Workflow runs that ended, by final state").tag("state", state)
                .register(registry);
    }

    /**
     * Registers the coordinator's tagged counters at 0 for every value their tags take, so that each
     * series exists from the start: Prometheus's {@code increase()} sees the first failed job after a
     * restart, which it would miss if the series were born at 1.
     */
    public FanoutMeters withCoordinatorCounters() {
        for (String state : List.of("SUCCEEDED", "FAILED")) {
            jobsFinished(state);
            workflowRunsFinished(state);
        }
        for (DeadLetterHeaders.Reason reason : DeadLetterHeaders.Reason.values()) {
            deadLetters(reason.name());
        }
        for (String actor : List.of("sweeper", "user")) {
            replays(actor, "REPLAY");
            replays(actor, "PARK");
        }
        jobsPastDeadline();
        return this;
    }

    /** Open jobs of this coordinator's partitions, by state (RUNNING, REDUCING), read from PostgreSQL. */
    public void jobsOpen(String state, Supplier<Number> count) {
        Gauge.builder("fanout.jobs.open", count).description("Open jobs of this coordinator's partitions, by state").tag("state", state).register(registry);
    }

    /** Task attempts sent to executors (first attempts, retries, replays). */
    public Counter tasksDispatched(String kind) {
        return Counter.builder("fanout.tasks.dispatched").description("Task attempts sent to executors").tag("kind", kind).register(registry);
    }

    /** Failed attempts given another attempt by their retry policy. */
    public Counter retries() {
        return Counter.builder("fanout.tasks.retries").description("Failed attempts the retry policy retries").register(registry);
    }

    /** Attempts presumed lost (their executor went silent). */
    public Counter tasksLost() {
        return Counter.builder("fanout.tasks.lost").description("Attempts presumed lost: their executor went silent").register(registry);
    }

    /** Task records never received (deleted by the task topic's retention, or archived by the share group) and sent again. */
    public Counter tasksUnreceived() {
        return Counter.builder("fanout.tasks.unreceived").description("Task records never received, sent again").register(registry);
    }

    /** Housekeeping steps that failed (each is tried again at the next round; the others go on), by step. */
    public Counter housekeepingFailures(String step) {
        return Counter.builder("fanout.coordinator.housekeeping.failures").description("Housekeeping steps that failed, by step").tag("step", step)
                .register(registry);
    }

    /** Coordinator batches whose transaction failed and that are applied again (the database away or unwell, a record it rejects). */
    public Counter batchFailures() {
        return Counter.builder("fanout.coordinator.batch.failures").description("Coordinator batches that failed to apply and are retried").register(registry);
    }

    /** Outbox rows re-driven: effects of committed transactions that had not reached Kafka (a crash or a failed send in between). */
    public Counter outboxReconciled() {
        return Counter.builder("fanout.outbox.reconciled").description("Outbox rows whose records were sent again by the reconciler").register(registry);
    }

    /** Dead letters written, by reason (NON_RETRYABLE, ATTEMPTS_EXHAUSTED, POISON). */
    public Counter deadLetters(String reason) {
        return Counter.builder("fanout.dead.letters").description("Dead letters written, by reason").tag("reason", reason).register(registry);
    }

    /** Dead letters replayed or parked, by who did it (sweeper, user) and the action. */
    public Counter replays(String actor, String action) {
        return Counter.builder("fanout.dead.letters.replays").description("Dead letters replayed or parked").tag("actor", actor).tag("action", action)
                .register(registry);
    }

    /** Sweeps of its partitions' dead letters run by this coordinator. */
    public Counter sweeperRuns() {
        return Counter.builder("fanout.sweeper.runs").description("Dead-letter sweeps run by this coordinator").register(registry);
    }


    /** Attempts an executor did not start, handed back to the coordinator: their job was suspended, or the executor is stopping. */
    public Counter tasksReturned() {
        return Counter.builder("fanout.executor.tasks.returned").description("Attempts handed back unstarted: their job is suspended, or the executor is stopping")
                .register(registry);
    }

    /** Alert delivery attempts, by kind of alert and outcome (delivered, retried, gave_up). */
    public Counter alerts(String kind, String outcome) {
        return Counter.builder("fanout.alerts").description("Alert webhook deliveries, by kind and outcome").tag("kind", kind).tag("outcome", outcome)
                .register(registry);
    }

    /** Rows deleted by retention, by what they were (jobs, tasks, dead_letters, workflow_runs, rejected_requests, alerts, audit). */
    public Counter retentionDeleted(String what) {
        return Counter.builder("fanout.retention.deleted").description("Rows deleted by retention, by kind").tag("what", what).register(registry);
    }

    /** 1 while this coordinator deletes expired rows, else 0. */
    public void retentionLeader(Supplier<Number> leading) {
        Gauge.builder("fanout.retention.leader", leading).description("1 while this coordinator holds the retention lease").register(registry);
    }

    /** 1 while this coordinator fires the recurring jobs, else 0. */
    public void schedulerLeader(Supplier<Number> leading) {
        Gauge.builder("fanout.scheduler.leader", leading).description("1 while this coordinator holds the scheduler lease").register(registry);
    }

    /** Calls to PostgreSQL that needed retrying, by what made the call and how it ended (resilience4j's counts). */
    public void databaseRetries(String name, Supplier<Number> succeededAfterRetry, Supplier<Number> failedAfterRetry) {
        FunctionCounter.builder("fanout.database.retries", succeededAfterRetry, s -> s.get().doubleValue())
                .description("Calls to PostgreSQL that needed retrying, by caller and outcome").tag("caller", name).tag("outcome", "recovered")
                .register(registry);
        FunctionCounter.builder("fanout.database.retries", failedAfterRetry, s -> s.get().doubleValue())
                .description("Calls to PostgreSQL that needed retrying, by caller and outcome").tag("caller", name).tag("outcome", "gave_up")
                .register(registry);
    }

    /**
     * How long the oldest outbox row of this coordinator's partitions has waited: an effect of a
     * committed transaction (task record, job event, dead letter) the brokers have not acknowledged yet.
     */
    public void outboxOldestAge(Supplier<Number> seconds) {
        Gauge.builder("fanout.outbox.oldest.age", seconds).description("Age of the oldest outbox row of this coordinator's partitions, not yet sent")
                .baseUnit("seconds").register(registry);
    }

    /** Tasks waiting on a pool's task topic (end offsets minus the pool's committed offsets), read from Kafka; NaN while unknown. */
    public void poolLag(String pool, Supplier<Number> tasks) {
        Gauge.builder("fanout.pool.lag", tasks).description("Tasks waiting on the pool's task topic, read from Kafka").tag("pool", pool).register(registry);
    }

    /** Members of a pool's consumer group and share group: the executors Kafka counts as live; NaN while unknown. */
    public void poolExecutors(String pool, Supplier<Number> members) {
        Gauge.builder("fanout.pool.executors", members).description("Live executors of the pool: members of its consumer group and share group")
                .tag("pool", pool).register(registry);
    }

    /** Coordinator partitions this coordinator owns. */
    public void partitionsOwned(Supplier<Number> count) {
        Gauge.builder("fanout.coordinator.partitions.owned", count).description("Coordinator partitions this coordinator owns").register(registry);
    }

    /** Records applied per coordinator transaction. */
    public DistributionSummary batchSize() {
        return DistributionSummary.builder("fanout.coordinator.batch.size").description("Records applied per coordinator transaction")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    /** Parts of large batches applied at once on connections of their own, each a transaction. */
    public Counter batchParts() {
        return Counter.builder("fanout.coordinator.batch.parts").description("Parts of large coordinator batches applied at once, each a transaction")
                .register(registry);
    }

    /** Time to apply one batch in PostgreSQL (the transaction, commit included). */
    public Timer batchLatency() {
        return Timer.builder("fanout.coordinator.batch.latency").description("Time to apply one batch in PostgreSQL")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    // --- executor ---

    /** Attempts finished on this executor, by outcome (SUCCEEDED, FAILED, TIMED_OUT, CANCELLED). */
    public Counter tasksFinished(String outcome) {
        return Counter.builder("fanout.executor.tasks").description("Attempts finished on this executor, by outcome").tag("outcome", outcome)
                .register(registry);
    }

    /** How long attempts ran (processor start to outcome). */
    public Timer taskDuration() {
        return Timer.builder("fanout.executor.task.duration").description("How long attempts ran").publishPercentiles(0.5, 0.99)
                .maximumExpectedValue(Duration.ofHours(1)).register(registry);
    }

    /** How long received tasks waited for a free slot. */
    public Timer queueWait() {
        return Timer.builder("fanout.executor.queue.wait").description("How long received tasks waited for a slot").publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    /** Tasks this executor holds (waiting or running). */
    public void inFlight(Supplier<Number> count) {
        Gauge.builder("fanout.executor.in.flight", count).description("Tasks this executor holds, waiting or running").register(registry);
    }
}
