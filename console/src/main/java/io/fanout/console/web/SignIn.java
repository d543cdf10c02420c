package io.fanout.console.web;

import io.fanout.console.ApiError;
import io.fanout.console.ApiTokens;
import io.fanout.console.AuditLog;
import io.fanout.console.SignInLimits;
import io.javalin.http.Context;
import java.util.Optional;

/**
 * Signing in to the console and finding who is signed in: the sign-in form (refused when posted
 * from another site, and answered 429 once an address or a token prefix has failed too often),
 * the session cookie, and the CSRF token every other form must carry.
 */
final class SignIn {

    static final String COOKIE = "fanout_session";
    static final String SESSION = "fanout.session";

    private final ApiTokens tokens;
    private final AuditLog audit;
    private final SignInLimits limits;
    private final Sessions sessions = new Sessions();

    SignIn(ApiTokens tokens, AuditLog audit, SignInLimits limits) {
        this.tokens = tokens;
        this.audit = audit;
        this.limits = limits;
    }

    /**
     * Who is signed in, for a console route: the session's token, if still valid; and a form post
     * must come from the console's own pages and carry the session's CSRF token. Empty when nobody is.
     */
    Optional<ApiTokens.Principal> authenticate(Context ctx) throws Exception {
        Optional<Sessions.Session> session = sessions.find(ctx.cookie(COOKIE));
        if (session.isEmpty()) {
            return Optional.empty();
        }
        Optional<ApiTokens.Principal> who = tokens.stillValid(session.get().tokenId());
        if (who.isEmpty()) {
            sessions.close(session.get().id());
            return Optional.empty();
        }
        if (ctx.method().name().equals("POST")) {
            SameOrigin.check(ctx);
            if (!Sessions.sameSecret(session.get().csrf(), ctx.formParam("csrf"))) {
                throw new ApiError(403, "csrf", "this form is stale or forged (no valid CSRF token): reload the page and try again", "csrf");
            }
        }
        ctx.attribute(SESSION, session.get());
        return who;
    }

    void loginPage(Context ctx) {
        ConsolePages.page(ctx, 200, """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · Fanout</title>
                <link rel="stylesheet" href="/console/style.css"></head><body><main><h1>Fanout console</h1>
                <p>Sign in with an API token (<code>fanout token create --name you --scope operate</code>).</p>%s
                <form method="post" action="/console/login"><input type="password" name="token" id="token" placeholder="fo_..." size="50" autocomplete="off">
                <button id="sign-in">Sign in</button></form></main></body></html>
                """.formatted(ctx.queryParam("failed") != null ? "<p class=\"error\" id=\"login-error\">That token is not valid.</p>" : ""));
    }

    void login(Context ctx) throws Exception {
        SameOrigin.check(ctx);
        String token = ctx.formParam("token");
        if (!limits.mayTry(ctx.ip(), token)) {
            throw new ApiError(429, "too_many_attempts", "too many failed sign-ins: wait a minute and try again", "token");
        }
        Optional<ApiTokens.Principal> who = tokens.authenticate(token);
        if (who.isEmpty()) {
            limits.failed(ctx.ip(), token);
            audit.record("(unknown)", "console.sign-in", null, "refused", ctx.ip(), null);
            ctx.redirect(ConsolePages.BASE + "/login?failed");
            return;
        }
        Sessions.Session s = sessions.open(who.get().tokenId());
        boolean tls = "https".equals(ctx.scheme()) || "https".equals(ctx.header("X-Forwarded-Proto"));
        ctx.header("Set-Cookie", COOKIE + "=" + s.id() + "; Path=" + ConsolePages.BASE + "; HttpOnly; SameSite=Strict; Max-Age="
                + Sessions.LIFETIME.toSeconds() + (tls ? "; Secure" : ""));
        audit.record(who.get().name(), "console.sign-in", null, "done", ctx.ip(), null);
        ctx.redirect(ConsolePages.BASE);
    }

    void logout(Context ctx) {
        sessions.close(session(ctx).id());
        ctx.header("Set-Cookie", COOKIE + "=; Path=" + ConsolePages.BASE + "; HttpOnly; SameSite=Strict; Max-Age=0");
        ctx.redirect(ConsolePages.BASE + "/login");
    }

    static Sessions.Session session(Context ctx) {
        return ctx.attribute(SESSION);
    }
}
