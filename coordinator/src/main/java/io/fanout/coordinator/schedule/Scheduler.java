package io.fanout.coordinator.schedule;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.coordinator.lease.LeaderWork;
import io.fanout.coordinator.lease.Lease;
import io.fanout.coordinator.store.Database;
import io.fanout.shared.TopicNames;
import io.fanout.shared.command.Command;
import io.fanout.shared.command.JobCommand;
import io.fanout.shared.command.RunCommand;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires recurring jobs. Every coordinator runs one; only the holder of the {@code scheduler} lease
 * fires, in a transaction that checks the lease. A run is a job request with the key
 * {@code schedule:<name>:<due time>}, so firing the same run twice (a leader dying after sending
 * it) still creates one job. After downtime a schedule fires once for the latest missed run, not
 * once per missed run: its next run is the first after now.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    private static final Duration TICK = Duration.ofSeconds(1);

    private final Database db;
    private final Producer<byte[], byte[]> producer;
    private final TopicNames topics;
    private final Clock clock;
    private final LeaderWork leader;

    public Scheduler(Database db, Producer<byte[], byte[]> producer, TopicNames topics, Clock clock,
                     String coordinatorId, Duration leaseTtl) {
        this.db = db;
        this.producer = producer;
        this.topics = topics;
        this.clock = clock;
        this.leader = new LeaderWork(db, "scheduler", coordinatorId, leaseTtl, TICK, this::fireDue);
    }

    public Scheduler start() {
        leader.start();
        return this;
    }

    public boolean isLeader() {
        return leader.isLeader();
    }

    /**
     * Fires the due schedules, each in a transaction of its own that checks the lease: a schedule
     * that cannot be fired now (the broker away) is tried again at the next tick without holding up
     * the others.
     */
    private void fireDue(Lease lease, long token) throws Exception {
        List<Schedule> due;
        try (Connection c = db.connection()) {
            due = ScheduleStore.due(c, clock.instant());
        }
        for (Schedule s : due) {
            try {
                if (leader.fenced(token, c -> {
                    fire(c, s, clock.instant());
                    return true;
                }).isEmpty()) {
                    return; // the lease passed to another coordinator
                }
            } catch (Exception e) {
                log.error("schedule {}: the run due {} was not fired; trying again at the next tick: {}", s.name(), s.nextFireAt(), e.toString());
            }
        }
    }

    private void fire(Connection c, Schedule s, Instant now) throws Exception {
        Instant due = s.nextFireAt();
        Instant next = s.nextAfter(now.isAfter(due) ? now : due);
        if (s.lastJobId() != null && running(c, s.lastJobId())) {
            switch (s.policy()) {
                case FORBID -> {
                    log.info("schedule {}: run due {} skipped, job {} is still running (policy forbid)", s.name(), due, s.lastJobId());
                    ScheduleStore.recordRun(c, s.name(), due, null, next);
                    return;
                }
                case REPLACE -> {
                    String actor = "schedule " + s.name() + " (policy replace)";
                    // the job's or run's owner cancels it: the scheduler only asks, as any client would
                    Command cancel = isJob(c, s) ? JobCommand.of(JobCommand.Kind.CANCEL, s.lastJobId(), actor)
                            : RunCommand.of(RunCommand.Kind.CANCEL, s.lastJobId(), actor);
                    producer.send(new ProducerRecord<>(topics.jobs(), cancel.target().toString().getBytes(StandardCharsets.UTF_8), cancel.toJson()))
                            .get(30, TimeUnit.SECONDS);
                    log.info("schedule {}: asked for the {} (command {})", s.name(), cancel.describe(), cancel.id());
                }
                case ALLOW -> { }
            }
        }
        byte[] request;
        UUID id;
        try {
            ObjectNode template = (ObjectNode) Json.readTree(s.request().getBytes(StandardCharsets.UTF_8));
            template.put("key", s.runKey(due));
            if (WorkflowRunRequest.isRunRequest(template)) {
                // a scheduled run is told when it was due, for nodes that reference ${params.scheduledAt}
                ObjectNode params = template.has("params") ? (ObjectNode) template.get("params") : template.putObject("params");
                if (!params.has("scheduledAt")) {
                    params.put("scheduledAt", due.toString());
                }
                WorkflowRunRequest run = WorkflowRunRequest.parse(template);
                request = run.toJson();
                id = run.runId();
            } else {
                JobRequest job = JobRequests.parse(Json.toBytes(template));
                request = JobRequests.toJson(job);
                id = job.id();
            }
        } catch (InvalidJobRequestException | InvalidWorkflowException | RuntimeException e) {
            // A template that no longer makes a valid request never will: this run is skipped, the next is due as usual.
            log.error("schedule {}: run due {} skipped, its request is not valid: {}", s.name(), due, e.getMessage());
            ScheduleStore.recordRun(c, s.name(), due, null, next);
            return;
        }
        producer.send(new ProducerRecord<>(topics.jobs(), id.toString().getBytes(StandardCharsets.UTF_8), request)).get(30, TimeUnit.SECONDS);
        ScheduleStore.recordRun(c, s.name(), due, id, next);
        log.info("schedule {}: run due {} fired as {} {}; next at {}", s.name(), due, WorkflowRunRequest.isRunRequest(Json.readTree(request)) ? "workflow run"
                : "job", id, next);
    }

    /** Whether the job or workflow run is still going; one fired but neither stored nor rejected yet counts as going. */
    /**
     * Whether the schedule's last run is a job (else a workflow run): by its stored row, or, when its
     * request is on the jobs topic but not stored yet, by the schedule's request. The cancel goes to
     * the same partition as that request, after it, either way.
     */
    private static boolean isJob(Connection c, Schedule s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM fanout_job WHERE job_id = ?), "
                + "EXISTS (SELECT 1 FROM fanout_workflow_run WHERE run_id = ?)")) {
            ps.setObject(1, s.lastJobId());
            ps.setObject(2, s.lastJobId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1) || rs.getBoolean(2)) {
                    return rs.getBoolean(1);
                }
            }
        }
        try {
            return !WorkflowRunRequest.isRunRequest(Json.readTree(s.request().getBytes(StandardCharsets.UTF_8)));
        } catch (java.io.IOException | RuntimeException e) {
            return true; // a request that no longer parses: cancelling the job of that id is the likelier right guess
        }
    }

    private static boolean running(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce((SELECT state FROM fanout_job WHERE job_id = ?), "
                + "(SELECT state FROM fanout_workflow_run WHERE run_id = ?)), EXISTS (SELECT 1 FROM fanout_rejected_request WHERE job_id = ?)")) {
            ps.setObject(1, id);
            ps.setObject(2, id);
            ps.setObject(3, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                String state = rs.getString(1);
                return state == null ? !rs.getBoolean(2) : !io.fanout.shared.model.JobState.valueOf(state).isTerminal();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        leader.close();
    }
}
