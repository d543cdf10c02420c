package io.fanout.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.client.FanoutClient;
import io.fanout.query.RunQueries;
import io.fanout.query.WorkflowRunView;
import io.fanout.shared.json.Json;
import io.fanout.shared.workflow.InvalidWorkflowException;
import io.fanout.shared.workflow.WorkflowRunRequest;
import io.javalin.http.Context;
import java.io.IOException;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** Workflow runs: start, show (with every node), cancel, retry from failure. */
final class WorkflowRoutes {

    private final DataSource db;
    private final Commander control;
    private final FanoutClient client;
    private final Audited audited;

    WorkflowRoutes(DataSource db, Commander control, FanoutClient client, Audited audited) {
        this.db = db;
        this.control = control;
        this.client = client;
        this.audited = audited;
    }

    List<Route> routes(String base) {
        return List.of(
                new Route("GET", base + "/workflow-runs", Scope.READ, "Workflow runs, newest first (query: since, limit; the last day by default)",
                        this::list),
                new Route("POST", base + "/workflow-runs", Scope.OPERATE, "Start a workflow run (body: a run request)", this::start),
                new Route("GET", base + "/workflow-runs/{id}", Scope.READ, "A workflow run and each of its nodes", this::show),
                new Route("POST", base + "/workflow-runs/{id}/cancel", Scope.OPERATE, "Cancel a workflow run",
                        ctx -> audited.control(ctx, "run.cancel", Params.uuid(ctx), control::cancelRun)),
                new Route("POST", base + "/workflow-runs/{id}/retry", Scope.OPERATE, "Retry a workflow run from failure (query: from)",
                        ctx -> audited.control(ctx, "run.retry", Params.uuid(ctx), (id, actor) -> control.retryRun(id, ctx.queryParam("from"), actor))));
    }

    private void list(Context ctx) throws Exception {
        java.time.Instant since = Params.instant(ctx, "since", java.time.Instant.now().minus(JobRoutes.DEFAULT_WINDOW));
        int limit = Params.limit(ctx, 50);
        try (Connection c = db.getConnection()) {
            ApiServer.json(ctx, 200, RunQueries.recentRuns(c, since, limit));
        }
    }

    private void start(Context ctx) throws Exception {
        WorkflowRunRequest request;
        try {
            JsonNode body = Json.readTree(ctx.bodyAsBytes());
            if (!WorkflowRunRequest.isRunRequest(body)) {
                throw ApiError.badRequest("workflow", "a run request names a stored workflow, or gives a definition, in field 'workflow'");
            }
            request = WorkflowRunRequest.parse(body);
        } catch (IOException e) {
            throw ApiError.badRequest(null, "not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        } catch (InvalidWorkflowException e) {
            throw ApiError.badRequest(Params.fieldOf(e.getMessage()), e.getMessage());
        }
        UUID id = client.run(request);
        audited.record(ctx, "run.start", id.toString(), "submitted", request.workflow());
        ApiServer.json(ctx, 202, Map.of("runId", id));
    }

    private void show(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        try (Connection c = db.getConnection()) {
            ApiServer.json(ctx, 200, WorkflowRunView.read(c, id).orElseThrow(() -> ApiError.notFound("no workflow run " + id)));
        }
    }
}
