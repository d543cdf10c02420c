package io.fanout.console;

import io.fanout.coordinator.control.JobControl;
import io.javalin.http.Context;
import java.util.Map;

/** State-changing actions taken through the API, each written to the audit log with who, what, from where and how it ended. */
public final class Audited {

    /** An operation on a job or run, as the control classes do them. */
    @FunctionalInterface
    interface Operation<I> {
        JobControl.Result apply(I id, String actor) throws Exception;
    }

    private final AuditLog audit;

    public Audited(AuditLog audit) {
        this.audit = audit;
    }

    /** The caller, as its token names it. */
    public static ApiTokens.Principal who(Context ctx) {
        return ctx.attribute(ApiServer.PRINCIPAL);
    }

    static String actor(Context ctx) {
        return "api:" + who(ctx).name();
    }

    public void record(Context ctx, String action, String target, String outcome, String detail) throws Exception {
        audit.record(who(ctx).name(), action, target, outcome, ctx.ip(), detail);
    }

    /** Runs the operation: 200 when done, 409 when the state does not allow it, 404 when there is no such thing. */
    <I> void control(Context ctx, String action, I id, Operation<I> op) throws Exception {
        JobControl.Result r;
        try {
            r = op.apply(id, actor(ctx));
        } catch (Exception e) {
            record(ctx, action, String.valueOf(id), "failed", e.toString());
            throw e;
        }
        record(ctx, action, String.valueOf(id), r.done() ? "done" : "refused", r.message());
        if (!r.found()) {
            throw ApiError.notFound(r.message());
        }
        if (!r.done()) {
            throw new ApiError(409, "conflict", r.message(), null);
        }
        ApiServer.json(ctx, 200, Map.of("message", r.message()));
    }
}
