package io.fanout.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.control.JobControl;
import io.fanout.coordinator.control.WorkflowControl;
import io.fanout.coordinator.store.WorkflowStore;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskState;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowRunRequest;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/** The routes of the REST API (version 1) and what each does. */
final class ApiRoutes {

    static final String BASE = "/api/v1";
    /** The job list looks this far back unless told otherwise, so that a large table never makes it slow. */
    static final Duration DEFAULT_WINDOW = Duration.ofDays(1);
    private static final int MAX_LIMIT = 500;
    private static final Pattern FIELD = Pattern.compile("field '([^']+)'");

    private final DataSource db;
    private final JobQueries queries;
    private final JobControl jobControl;
    private final WorkflowControl workflowControl;
    private final WorkflowStore workflows = new WorkflowStore();
    private final FanoutClient client;
    private final AuditLog audit;
    private final ApiTokens tokens;

    ApiRoutes(DataSource db, JobControl jobControl, WorkflowControl workflowControl, FanoutClient client, AuditLog audit, ApiTokens tokens) {
        this.db = db;
        this.queries = new JobQueries(db);
        this.jobControl = jobControl;
        this.workflowControl = workflowControl;
        this.client = client;
        this.audit = audit;
        this.tokens = tokens;
    }

    List<Route> all() {
        return List.of(
                new Route("GET", BASE + "/openapi.json", Scope.READ, "This document", null),
                new Route("GET", BASE + "/jobs", Scope.READ, "Jobs, newest first: state, processor, pool, key, since, before, limit", this::listJobs),
                new Route("POST", BASE + "/jobs", Scope.OPERATE, "Submit a job (a job request as JSON)", this::submitJob),
                new Route("GET", BASE + "/jobs/{id}", Scope.READ, "A job: counts, times, result or error", this::getJob),
                new Route("GET", BASE + "/jobs/{id}/tasks", Scope.READ, "A job's tasks: state, limit", this::listTasks),
                new Route("POST", BASE + "/jobs/{id}/cancel", Scope.OPERATE, "Cancel a job", ctx -> control(ctx, "job.cancel", jobControl::cancel)),
                new Route("POST", BASE + "/jobs/{id}/suspend", Scope.OPERATE, "Suspend a job", ctx -> control(ctx, "job.suspend", jobControl::suspend)),
                new Route("POST", BASE + "/jobs/{id}/resume", Scope.OPERATE, "Resume a job", ctx -> control(ctx, "job.resume", jobControl::resume)),
                new Route("POST", BASE + "/workflow-runs", Scope.OPERATE, "Start a workflow run (a run request as JSON)", this::startRun),
                new Route("GET", BASE + "/workflow-runs/{id}", Scope.READ, "A workflow run and its nodes", this::getRun),
                new Route("POST", BASE + "/workflow-runs/{id}/cancel", Scope.OPERATE, "Cancel a workflow run",
                        ctx -> control(ctx, "run.cancel", workflowControl::cancel)),
                new Route("POST", BASE + "/workflow-runs/{id}/retry", Scope.OPERATE, "Retry a workflow run from failure (query: from)",
                        ctx -> control(ctx, "run.retry", (id, actor) -> workflowControl.retry(id, ctx.queryParam("from"), actor))),
                new Route("GET", BASE + "/audit", Scope.ADMIN, "The audit log, newest first: limit", this::listAudit),
                new Route("GET", BASE + "/tokens", Scope.ADMIN, "API tokens (never the tokens themselves)", ctx -> ApiServer.json(ctx, 200, tokens.list())));
    }

    private void listJobs(Context ctx) throws Exception {
        Instant before = instant(ctx, "before", Instant.now().plusSeconds(1));
        Instant since = instant(ctx, "since", before.minus(DEFAULT_WINDOW));
        String state = ctx.queryParam("state");
        if (state != null) {
            enumValue("state", state, JobState.class);
        }
        ApiServer.json(ctx, 200, queries.jobs(new JobQueries.JobFilter(state, ctx.queryParam("processor"), ctx.queryParam("pool"), ctx.queryParam("key"),
                since, before, limit(ctx, 50))));
    }

    private void getJob(Context ctx) throws Exception {
        UUID id = uuid(ctx);
        ApiServer.json(ctx, 200, queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id)));
    }

    private void listTasks(Context ctx) throws Exception {
        UUID id = uuid(ctx);
        queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id));
        String state = ctx.queryParam("state");
        if (state != null) {
            enumValue("state", state, TaskState.class);
        }
        ApiServer.json(ctx, 200, queries.tasks(id, state, limit(ctx, 100)));
    }

    private void submitJob(Context ctx) throws Exception {
        JobRequest request;
        try {
            request = JobRequests.parse(ctx.bodyAsBytes());
        } catch (InvalidJobRequestException e) {
            throw ApiError.badRequest(field(e.getMessage()), e.getMessage());
        }
        UUID id = client.submit(request);
        record(ctx, "job.submit", id.toString(), "submitted", request.processor());
        ApiServer.json(ctx, 202, Map.of("jobId", id));
    }

    private void startRun(Context ctx) throws Exception {
        WorkflowRunRequest request;
        try {
            JsonNode body = Json.readTree(ctx.bodyAsBytes());
            if (!WorkflowRunRequest.isRunRequest(body)) {
                throw ApiError.badRequest("workflow", "a run request names a stored workflow or gives a definition in field 'workflow'");
            }
            request = WorkflowRunRequest.parse(body);
        } catch (IOException e) {
            throw ApiError.badRequest(null, "not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        } catch (InvalidWorkflowException e) {
            throw ApiError.badRequest(field(e.getMessage()), e.getMessage());
        }
        UUID id = client.run(request);
        record(ctx, "run.start", id.toString(), "submitted", request.workflow());
        ApiServer.json(ctx, 202, Map.of("runId", id));
    }

    private void getRun(Context ctx) throws Exception {
        UUID id = uuid(ctx);
        try (Connection c = db.getConnection()) {
            WorkflowStore.Run run = workflows.runs(c, List.of(id)).get(id);
            if (run == null) {
                throw ApiError.notFound("no workflow run " + id);
            }
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("id", run.runId());
            view.put("key", run.key());
            view.put("workflow", run.workflow());
            view.put("version", run.version());
            view.put("state", run.state());
            view.put("params", Json.readTree(run.params()));
            view.put("error", run.error());
            view.put("createdAt", run.createdAt().toString());
            view.put("finishedAt", run.finishedAt() == null ? null : run.finishedAt().toString());
            List<Map<String, Object>> nodes = workflows.nodes(c, List.of(id)).getOrDefault(id, Map.of()).values().stream().map(n -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("node", n.node());
                m.put("state", n.state());
                m.put("attempt", n.attempt());
                m.put("jobId", n.jobId());
                m.put("result", n.resultJson() == null ? null : Json.readTree(n.resultJson()));
                m.put("error", n.error());
                m.put("startedAt", n.startedAt() == null ? null : n.startedAt().toString());
                m.put("finishedAt", n.finishedAt() == null ? null : n.finishedAt().toString());
                return m;
            }).toList();
            view.put("nodes", nodes);
            ApiServer.json(ctx, 200, view);
        }
    }

    private void listAudit(Context ctx) throws Exception {
        ApiServer.json(ctx, 200, audit.latest(limit(ctx, 100)).stream().map(e -> Map.of("id", e.id(), "at", e.at().toString(), "actor", e.actor(),
                "action", e.action(), "target", String.valueOf(e.target()), "outcome", e.outcome(), "remote", String.valueOf(e.remote()))).toList());
    }

    /** An operation on a job or run by id: 200 when done, 409 when its state does not allow it, 404 when there is no such thing; audited. */
    private void control(Context ctx, String action, Operation op) throws Exception {
        UUID id = uuid(ctx);
        ApiTokens.Principal who = ctx.attribute(ApiServer.PRINCIPAL);
        JobControl.Result r;
        try {
            r = op.apply(id, "api:" + who.name());
        } catch (Exception e) {
            record(ctx, action, id.toString(), "failed", e.toString());
            throw e;
        }
        record(ctx, action, id.toString(), r.done() ? "done" : "refused", r.message());
        if (!r.found()) {
            throw ApiError.notFound(r.message());
        }
        if (!r.done()) {
            throw new ApiError(409, "conflict", r.message(), null);
        }
        ApiServer.json(ctx, 200, Map.of("message", r.message()));
    }

    @FunctionalInterface
    private interface Operation {
        JobControl.Result apply(UUID id, String actor) throws Exception;
    }

    private void record(Context ctx, String action, String target, String outcome, String detail) throws Exception {
        ApiTokens.Principal who = ctx.attribute(ApiServer.PRINCIPAL);
        audit.record(who.name(), action, target, outcome, ctx.ip(), detail);
    }

    private static UUID uuid(Context ctx) {
        try {
            return UUID.fromString(ctx.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("id", "'" + ctx.pathParam("id") + "' is not an id (a UUID)");
        }
    }

    private static int limit(Context ctx, int dflt) {
        String v = ctx.queryParam("limit");
        try {
            int n = v == null ? dflt : Integer.parseInt(v);
            if (n < 1 || n > MAX_LIMIT) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("limit", "limit is a number from 1 to " + MAX_LIMIT + ", got '" + v + "'");
        }
    }

    private static Instant instant(Context ctx, String name, Instant dflt) {
        String v = ctx.queryParam(name);
        try {
            return v == null ? dflt : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(name, name + " is an ISO-8601 instant (e.g. 2026-12-01T00:00:00Z), got '" + v + "'");
        }
    }

    private static <E extends Enum<E>> void enumValue(String name, String value, Class<E> type) {
        try {
            Enum.valueOf(type, value);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(name, name + " is one of " + java.util.Arrays.toString(type.getEnumConstants()) + ", got '" + value + "'");
        }
    }

    /** The field a request parser's message names ("field 'x' ..."), if any. */
    private static String field(String message) {
        Matcher m = FIELD.matcher(message);
        return m.find() ? m.group(1) : null;
    }
}
