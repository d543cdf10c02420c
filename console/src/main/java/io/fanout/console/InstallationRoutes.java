package io.fanout.console;

import io.fanout.coordinator.schedule.Schedule;
import io.fanout.coordinator.schedule.Schedules;
import io.fanout.shared.json.Json;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The installation: executor pools with their lag and members, schedules, the audit log and the tokens. */
final class InstallationRoutes {

    private final Supplier<ExecutorsView> executors;
    private final Schedules schedules;
    private final AuditLog audit;
    private final ApiTokens tokens;
    private final Audited audited;

    InstallationRoutes(Supplier<ExecutorsView> executors, Schedules schedules, AuditLog audit, ApiTokens tokens, Audited audited) {
        this.executors = executors;
        this.schedules = schedules;
        this.audit = audit;
        this.tokens = tokens;
        this.audited = audited;
    }

    List<Route> routes(String base) {
        return List.of(
                new Route("GET", base + "/executors", Scope.READ, "Executor pools (members, tasks waiting per partition) and executors (live, silent)",
                        this::executors),
                new Route("GET", base + "/schedules", Scope.READ, "Recurring jobs and workflow runs, with their next fire times",
                        ctx -> ApiServer.json(ctx, 200, schedules.list())),
                new Route("POST", base + "/schedules", Scope.OPERATE, "Add or change a schedule (body: name, cron, zone, policy, request)", this::putSchedule),
                new Route("DELETE", base + "/schedules/{name}", Scope.OPERATE, "Remove a schedule", this::removeSchedule),
                new Route("POST", base + "/schedules/{name}/trigger", Scope.OPERATE, "Fire a schedule now (its leader does, within a second)",
                        this::triggerSchedule),
                new Route("GET", base + "/audit", Scope.ADMIN, "The audit log, newest first (query: before (an entry id: the page after it), action, limit)",
                        ctx -> ApiServer.json(ctx, 200, audit.page(Params.longQuery(ctx, "before"), ctx.queryParam("action"), Params.limit(ctx, 100)))),
                new Route("GET", base + "/tokens", Scope.ADMIN, "API tokens (never the tokens themselves)", ctx -> ApiServer.json(ctx, 200, tokens.list())));
    }

    private void executors(Context ctx) {
        ApiServer.json(ctx, 200, executors.get());
    }

    private void putSchedule(Context ctx) throws Exception {
        ScheduleRequest r;
        try {
            r = Json.mapper().readValue(ctx.bodyAsBytes(), ScheduleRequest.class);
        } catch (IOException e) {
            throw ApiError.badRequest(null, "the body is {\"name\", \"cron\", \"zone\", \"policy\", \"request\"}: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Schedule s;
        try {
            s = schedules.put(r.name(), r.cron(), r.zone() == null ? "UTC" : r.zone(), r.request() == null ? null : Json.toText(r.request()),
                    r.policy() == null ? "forbid" : r.policy());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw ApiError.badRequest(scheduleField(String.valueOf(e.getMessage())), String.valueOf(e.getMessage()));
        }
        audited.record(ctx, "schedule.put", s.name(), "done", s.cron() + " " + s.zone());
        ApiServer.json(ctx, 200, s);
    }

    /** The field a schedule's refusal is about, as its message names it ("schedule name ...", "cron ..."). */
    static String scheduleField(String message) {
        for (String field : new String[] {"name", "cron", "zone", "policy", "request"}) {
            if (message.toLowerCase(java.util.Locale.ROOT).contains(field)) {
                return field;
            }
        }
        return "schedule";
    }

    /** A schedule as the API takes it: the request is a JSON object. */
    record ScheduleRequest(String name, String cron, String zone, String policy, com.fasterxml.jackson.databind.JsonNode request) {
    }

    private void triggerSchedule(Context ctx) throws Exception {
        String name = ctx.pathParam("name");
        boolean found = schedules.triggerNow(name);
        audited.record(ctx, "schedule.trigger", name, found ? "done" : "refused", null);
        if (!found) {
            throw ApiError.notFound("no schedule " + name);
        }
        ApiServer.json(ctx, 200, Map.of("message", "schedule " + name + " is due now: it fires within a second"));
    }

    private void removeSchedule(Context ctx) throws Exception {
        String name = ctx.pathParam("name");
        boolean removed = schedules.remove(name);
        audited.record(ctx, "schedule.remove", name, removed ? "done" : "refused", null);
        if (!removed) {
            throw ApiError.notFound("no schedule " + name);
        }
        ApiServer.json(ctx, 200, Map.of("message", "schedule " + name + " removed"));
    }
}
