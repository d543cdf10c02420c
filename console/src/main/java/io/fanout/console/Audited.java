package io.fanout.console;

import io.fanout.shared.command.CommandResult;
import io.javalin.http.Context;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/** State-changing actions taken through the API, each written to the audit log with who, what, from where and how it ended. */
public final class Audited {

    /** An operation on a job or run, as the control classes do them. */
    @FunctionalInterface
    public interface Operation<I> {
        CommandResult apply(I id, String actor) throws Exception;
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

    /**
     * Runs the operation: 200 when done, 409 when the state does not allow it, 404 when there is no
     * such thing, 504 when the owner did not answer in time (the command is pending, not done).
     */
    <I> void control(Context ctx, String action, I id, Operation<I> op) throws Exception {
        CommandResult r;
        try {
            r = audit(ctx, action, id, actor(ctx), op);
        } catch (TimeoutException e) {
            throw new ApiError(504, "pending", e.getMessage(), null);
        }
        if (!r.found()) {
            throw ApiError.notFound(r.message());
        }
        if (!r.done()) {
            throw new ApiError(409, "conflict", r.message(), null);
        }
        ApiServer.json(ctx, 200, Map.of("message", r.message()));
    }

    /** Runs the operation as {@code actor} and writes how it ended to the audit log: done, refused, pending (then rethrown) or failed. */
    public <I> CommandResult audit(Context ctx, String action, I id, String actor, Operation<I> op) throws Exception {
        CommandResult r;
        try {
            r = op.apply(id, actor);
        } catch (TimeoutException e) {
            record(ctx, action, String.valueOf(id), "pending", e.getMessage());
            throw e;
        } catch (Exception e) {
            record(ctx, action, String.valueOf(id), "failed", e.toString());
            throw e;
        }
        record(ctx, action, String.valueOf(id), r.done() ? "done" : "refused", r.message());
        return r;
    }
}
