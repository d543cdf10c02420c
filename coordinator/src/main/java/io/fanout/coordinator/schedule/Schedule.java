package io.fanout.coordinator.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowRunRequest;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A recurring job or workflow run: a job request (or workflow run request) template fired on a cron schedule (Unix syntax, five fields) in a
 * time zone. The concurrency policy says what happens when a run is due while the previous one is
 * still going, as for a Kubernetes CronJob.
 *
 * @param request the job request or workflow run request as JSON, without {@code id} or {@code key} (each run gets its own key)
 */
public record Schedule(String name, String cron, ZoneId zone, String request, ConcurrencyPolicy policy, Instant nextFireAt, Instant lastFiredAt,
                       UUID lastJobId, long fired, long skipped) {

    /** What to do when a run is due and the previous run has not finished. */
    public enum ConcurrencyPolicy {
        /** Start the new run anyway. */
        ALLOW,
        /** Skip the new run. */
        FORBID,
        /** Cancel the previous run and start the new one. */
        REPLACE
    }

    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

    public Schedule {
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(policy, "policy");
    }

    /** Checks a new schedule's settings, each failure naming the setting and what was expected. */
    public static Schedule create(String name, String cron, String zone, String request, String policy, Instant now) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("schedule name must be 1-100 of A-Z a-z 0-9 . _ -, got '" + name + "'");
        }
        ZoneId z;
        try {
            z = ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("schedule zone '" + zone + "' is not a time zone (e.g. UTC, Europe/Berlin)");
        }
        ConcurrencyPolicy p;
        try {
            p = ConcurrencyPolicy.valueOf(policy.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schedule policy must be allow, forbid or replace, got '" + policy + "'");
        }
        JsonNode fields;
        try {
            fields = Json.readTree(request);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("schedule request is not JSON: " + e.getCause().getMessage().lines().findFirst().orElse(""));
        }
        try {
            if (WorkflowRunRequest.isRunRequest(fields)) {
                WorkflowRunRequest.parse(fields);
            } else {
                JobRequests.parse(request.getBytes(StandardCharsets.UTF_8));
            }
        } catch (InvalidJobRequestException | InvalidWorkflowException e) {
            throw new IllegalArgumentException("schedule request is not a valid job or workflow run request: " + e.getMessage());
        }
        if (fields.has("id") || fields.has("key")) {
            throw new IllegalArgumentException("a schedule's request has no 'id' or 'key': each run gets its own key");
        }
        Schedule s = new Schedule(name, cron, z, request, p, Instant.EPOCH, null, null, 0, 0);
        return new Schedule(name, cron, z, request, p, s.nextAfter(now), null, null, 0, 0);
    }

    /** The first time after {@code t} that the cron expression names, in the schedule's zone. */
    public Instant nextAfter(Instant t) {
        ExecutionTime times;
        try {
            times = ExecutionTime.forCron(UNIX.parse(cron));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schedule cron '" + cron + "' is not a cron expression (five fields: minute hour day month weekday): "
                    + e.getMessage());
        }
        return times.nextExecution(t.atZone(zone)).orElseThrow(() -> new IllegalArgumentException("schedule cron '" + cron + "' never fires"))
                .toInstant();
    }

    /** The client key of the run due at {@code fireAt}: firing the same run twice creates one job. */
    public String runKey(Instant fireAt) {
        return "schedule:" + name + ":" + fireAt;
    }
}
