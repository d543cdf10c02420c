package io.fanout.console;

import io.fanout.client.FanoutClient;
import io.fanout.query.JobQueries;
import io.fanout.shared.command.LetterResult;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.InvalidJobRequestException;
import io.fanout.shared.model.JobRequest;
import io.fanout.shared.model.JobRequests;
import io.fanout.shared.model.JobState;
import io.fanout.shared.model.TaskState;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/** Jobs: list, show, tasks, submit, cancel, suspend, resume, retry (one or many), and live progress. */
final class JobRoutes {

    /** The job list looks this far back unless told otherwise, so that a large table never makes it slow. */
    static final Duration DEFAULT_WINDOW = Duration.ofDays(1);
    private static final int MAX_BULK = 500;

    private final JobQueries queries;
    private final Commander control;
    private final DeadLetters deadLetters;
    private final FanoutClient client;
    private final Audited audited;
    private final JobProgress progress;

    JobRoutes(DataSource db, Commander control, DeadLetters deadLetters, FanoutClient client, Audited audited, JobProgress progress) {
        this.progress = progress;
        this.queries = new JobQueries(db);
        this.control = control;
        this.deadLetters = deadLetters;
        this.client = client;
        this.audited = audited;
    }

    List<Route> routes(String base) {
        return List.of(
                new Route("GET", base + "/jobs", Scope.READ, "Jobs, newest first (query: state, processor, pool, key, since, before, limit)", this::list),
                new Route("POST", base + "/jobs", Scope.OPERATE, "Submit a job (body: a job request)", this::submit),
                new Route("POST", base + "/jobs/retry", Scope.OPERATE,
                        "Retry failed jobs: replay their dead letters (body: {\"jobs\": [ids]}; query: dryRun)", this::retryMany),
                new Route("GET", base + "/jobs/{id}", Scope.READ, "A job: counts, times, result or error", this::show),
                new Route("GET", base + "/jobs/{id}/tasks", Scope.READ, "A job's tasks (query: state, limit)", this::tasks),
                Route.events(base + "/jobs/{id}/progress", Scope.READ, "A job's counts as Server-Sent Events (event progress), until it ends",
                        progress::stream),
                new Route("POST", base + "/jobs/{id}/cancel", Scope.OPERATE, "Cancel a job", ctx -> audited.control(ctx, "job.cancel", Params.uuid(ctx),
                        control::cancel)),
                new Route("POST", base + "/jobs/{id}/suspend", Scope.OPERATE, "Suspend a job", ctx -> audited.control(ctx, "job.suspend", Params.uuid(ctx),
                        control::suspend)),
                new Route("POST", base + "/jobs/{id}/resume", Scope.OPERATE, "Resume a job", ctx -> audited.control(ctx, "job.resume", Params.uuid(ctx),
                        control::resume)),
                new Route("POST", base + "/jobs/{id}/retry", Scope.OPERATE, "Retry a failed job: replay its dead letters (query: dryRun)", this::retryOne));
    }

    private void list(Context ctx) throws Exception {
        Instant before = Params.instant(ctx, "before", Instant.now().plusSeconds(1));
        Instant since = Params.instant(ctx, "since", before.minus(DEFAULT_WINDOW));
        ApiServer.json(ctx, 200, queries.jobs(new JobQueries.JobFilter(Params.oneOf(ctx, "state", JobState.class), ctx.queryParam("processor"),
                ctx.queryParam("pool"), ctx.queryParam("key"), since, before, Params.limit(ctx, 50))));
    }

    private void show(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        ApiServer.json(ctx, 200, queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id)));
    }

    private void tasks(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        String state = Params.oneOf(ctx, "state", TaskState.class);
        queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id));
        ApiServer.json(ctx, 200, queries.tasks(id, state, Params.limit(ctx, 100)));
    }

    private void submit(Context ctx) throws Exception {
        JobRequest request;
        try {
            request = JobRequests.parse(ctx.bodyAsBytes());
        } catch (InvalidJobRequestException e) {
            throw ApiError.badRequest(Params.fieldOf(e.getMessage()), e.getMessage());
        }
        UUID id = client.submit(request);
        audited.record(ctx, "job.submit", id.toString(), "submitted", request.processor());
        ApiServer.json(ctx, 202, Map.of("jobId", id));
    }

    private void retryOne(Context ctx) throws Exception {
        UUID id = Params.uuid(ctx);
        boolean dryRun = Params.flag(ctx, "dryRun"); // bad input is answered before the lookup
        queries.job(id).orElseThrow(() -> ApiError.notFound("no job " + id));
        ApiServer.json(ctx, 200, outcome(ctx, id, deadLetters.replayJob(id, Audited.actor(ctx), dryRun), dryRun));
    }

    /** The bulk retry: each job's dead letters replayed (or, with dryRun, what would be), job by job; one job's trouble does not stop the others. */
    private void retryMany(Context ctx) throws Exception {
        List<UUID> ids = new ArrayList<>();
        try {
            for (var node : Json.readTree(ctx.bodyAsBytes()).path("jobs")) {
                ids.add(UUID.fromString(node.asText()));
            }
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw ApiError.badRequest("jobs", "the body is {\"jobs\": [job ids]}");
        }
        if (ids.isEmpty() || ids.size() > MAX_BULK) {
            throw ApiError.badRequest("jobs", "name 1 to " + MAX_BULK + " jobs, got " + ids.size());
        }
        boolean dryRun = Params.flag(ctx, "dryRun");
        List<UUID> known = new ArrayList<>();
        for (UUID id : ids) {
            if (queries.job(id).isPresent()) {
                known.add(id);
            }
        }
        Map<UUID, List<LetterResult>> replayed = deadLetters.replayJobs(known, Audited.actor(ctx), dryRun); // one command per job, all at once
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (UUID id : ids) {
            outcomes.add(replayed.containsKey(id) ? outcome(ctx, id, replayed.get(id), dryRun) : Map.of("jobId", id, "error", "no job " + id));
        }
        ApiServer.json(ctx, 200, outcomes);
    }

    /** One job's retry as the API answers it, audited unless it was a dry run. */
    private Map<String, Object> outcome(Context ctx, UUID id, List<LetterResult> results, boolean dryRun) throws Exception {
        long replayed = results.stream().filter(dryRun ? LetterResult::wouldReplay : LetterResult::done).count();
        if (!dryRun) {
            String how = results.stream().anyMatch(LetterResult::awaitsAnswer) ? "pending" : replayed > 0 ? "done" : "refused";
            audited.record(ctx, "job.retry", id.toString(), how, replayed + " of " + results.size() + " dead letters replayed");
        }
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("jobId", id);
        outcome.put("dryRun", dryRun);
        outcome.put(dryRun ? "wouldReplay" : "replayed", replayed);
        outcome.put("letters", results);
        return outcome;
    }
}
