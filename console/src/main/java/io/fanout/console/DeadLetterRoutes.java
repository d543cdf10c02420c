package io.fanout.console;

import io.fanout.query.LetterQueries;
import io.fanout.shared.command.LetterResult;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/** Dead letters: list with filters, show (with the stack and replay log), replay (one or by error class, with a dry run), park. */
final class DeadLetterRoutes {

    /** The states a letter can be in. */
    private enum LetterState { DEAD, REPLAYED, RESOLVED, PARKED }

    private final DeadLetters deadLetters;
    private final Audited audited;

    DeadLetterRoutes(DeadLetters deadLetters, Audited audited) {
        this.deadLetters = deadLetters;
        this.audited = audited;
    }

    List<Route> routes(String base) {
        return List.of(
                new Route("GET", base + "/dead-letters", Scope.READ, "Dead letters, newest first (query: job, errorClass, since, state, limit)", this::list),
                new Route("POST", base + "/dead-letters/replay", Scope.OPERATE,
                        "Replay every waiting or parked letter with an error class (query: errorClass, dryRun)", this::replayByClass),
                new Route("GET", base + "/dead-letters/{id}", Scope.READ, "A dead letter, with its stack trace and replay log", this::show),
                new Route("POST", base + "/dead-letters/{id}/replay", Scope.OPERATE, "Replay a dead letter (query: dryRun)", this::replay),
                new Route("POST", base + "/dead-letters/{id}/park", Scope.OPERATE, "Park a dead letter (the sweeper leaves it alone)", this::park));
    }

    private void list(Context ctx) throws Exception {
        ApiServer.json(ctx, 200, deadLetters.list(new LetterQueries.Filter(Params.uuidQuery(ctx, "job"), ctx.queryParam("errorClass"),
                Params.instant(ctx, "since", Instant.EPOCH), Params.oneOf(ctx, "state", LetterState.class), Params.limit(ctx, 100))));
    }

    private void show(Context ctx) throws Exception {
        long id = Params.number(ctx);
        ApiServer.json(ctx, 200, deadLetters.show(id).orElseThrow(() -> ApiError.notFound("no dead letter " + id)));
    }

    private void replay(Context ctx) throws Exception {
        long id = Params.number(ctx);
        boolean dryRun = Params.flag(ctx, "dryRun");
        deadLetters.show(id).orElseThrow(() -> ApiError.notFound("no dead letter " + id));
        LetterResult r = pendingAudited(ctx, "letter.replay", Long.toString(id), dryRun, () -> deadLetters.replay(id, Audited.actor(ctx), dryRun));
        if (!dryRun) {
            audited.record(ctx, "letter.replay", Long.toString(id), r.done() ? "done" : "refused", r.outcome());
        }
        ApiServer.json(ctx, r.done() || dryRun ? 200 : 409, r);
    }

    private void replayByClass(Context ctx) throws Exception {
        String errorClass = ctx.queryParam("errorClass");
        if (errorClass == null || errorClass.isBlank()) {
            throw ApiError.badRequest("errorClass", "name the error class whose letters to replay");
        }
        boolean dryRun = Params.flag(ctx, "dryRun");
        List<LetterResult> results = pendingAudited(ctx, "letter.replay", "errorClass " + errorClass, dryRun,
                () -> deadLetters.replayErrorClass(errorClass, Audited.actor(ctx), dryRun));
        long done = results.stream().filter(dryRun ? LetterResult::wouldReplay : LetterResult::done).count();
        if (!dryRun) {
            audited.record(ctx, "letter.replay", "errorClass " + errorClass, done > 0 ? "done" : "refused", done + " of " + results.size() + " replayed");
        }
        ApiServer.json(ctx, 200, Map.of("dryRun", dryRun, dryRun ? "wouldReplay" : "replayed", done, "letters", results));
    }

    private interface Action<T> {
        T run() throws Exception;
    }

    /** Runs the action; one its owner did not answer in time is audited as pending and answered 504 (see ApiServer). */
    private <T> T pendingAudited(Context ctx, String action, String target, boolean dryRun, Action<T> op) throws Exception {
        try {
            return op.run();
        } catch (TimeoutException e) {
            if (!dryRun) {
                audited.record(ctx, action, target, "pending", e.getMessage());
            }
            throw e;
        }
    }

    private void park(Context ctx) throws Exception {
        long id = Params.number(ctx);
        deadLetters.show(id).orElseThrow(() -> ApiError.notFound("no dead letter " + id));
        LetterResult r = pendingAudited(ctx, "letter.park", Long.toString(id), false, () -> deadLetters.park(id, Audited.actor(ctx)));
        audited.record(ctx, "letter.park", Long.toString(id), r.done() ? "done" : "refused", r.outcome());
        ApiServer.json(ctx, r.done() ? 200 : 409, r);
    }
}
