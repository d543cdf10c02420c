package io.fanout.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.fanout.client.FanoutClient;
import io.fanout.console.web.ConsolePages;
import io.fanout.coordinator.schedule.Schedules;
import io.fanout.coordinator.store.Database;
import io.fanout.query.JobQueries;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.fanout.shared.model.JobRequests;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.security.RouteRole;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API: JSON over HTTP, every route behind a bearer token of a sufficient scope, every
 * state-changing action in the audit log. A process of its own: it needs PostgreSQL and Kafka, not
 * a coordinator. Binds to localhost unless told otherwise.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** The request attribute that holds the caller, once authorized. */
    public static final String PRINCIPAL = "fanout.principal";

    /** The path every route of this version of the API starts with. */
    public static final String BASE = "/api/v1";

    /**
     * Where to listen, and the installation it serves.
     *
     * @param executorGroup the executors' base consumer group (each pool's group is derived from it)
     */
    public record Config(String host, int port, String jdbcUrl, String dbUser, String dbPassword, Map<String, Object> kafka, TopicNames topics,
                         String executorGroup, Tls tls, Limits limits) {

        public Config(String host, int port, String jdbcUrl, String dbUser, String dbPassword, Map<String, Object> kafka, TopicNames topics,
                      String executorGroup) {
            this(host, port, jdbcUrl, dbUser, dbPassword, kafka, topics, executorGroup, null, Limits.DEFAULT);
        }

        public Config(String host, int port, String jdbcUrl, String dbUser, String dbPassword, Map<String, Object> kafka, TopicNames topics,
                      String executorGroup, Tls tls) {
            this(host, port, jdbcUrl, dbUser, dbPassword, kafka, topics, executorGroup, tls, Limits.DEFAULT);
        }

        /** The same installation with other limits. */
        public Config withLimits(Limits l) {
            return new Config(host, port, jdbcUrl, dbUser, dbPassword, kafka, topics, executorGroup, tls, l);
        }
    }

    /**
     * What one caller may use of the server at once, so that no single token exhausts it.
     *
     * @param failedSignIns failed sign-ins (or requests with a token that is not valid) per minute, per address and per token prefix
     * @param streamsPerToken open progress streams per token
     * @param streams open progress streams in all
     * @param answerWithin how long an action waits for the owning coordinator's answer; past it, 504 {@code pending}
     */
    public record Limits(int failedSignIns, int streamsPerToken, int streams, java.time.Duration answerWithin) {
        public static final Limits DEFAULT = new Limits(SignInLimits.ATTEMPTS, 4, 32);

        public Limits(int failedSignIns, int streamsPerToken, int streams) {
            this(failedSignIns, streamsPerToken, streams, Commander.ANSWER_WITHIN);
        }

        public Limits {
            if (failedSignIns < 1 || streamsPerToken < 1 || streams < streamsPerToken || answerWithin == null || !answerWithin.isPositive()) {
                throw new IllegalArgumentException("API limits must be positive, and streams at least streams per token");
            }
        }
    }

    /** Serve HTTPS only, with the key and certificate of this PKCS#12 key store. */
    public record Tls(java.nio.file.Path keyStore, String password) {
    }

    /** No request body is larger: the largest job request, which the producer and the topic take too. */
    static final long MAX_BODY_BYTES = JobRequests.MAX_REQUEST_BYTES;

    private static final ObjectMapper JSON = JsonMapper.builder().addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).build();

    private final Database db;
    private final Admin admin;
    private final FanoutClient client;
    private final List<Route> routes;
    private final Javalin app;

    private ApiServer(Config config) {
        this.db = Database.connect(config.jdbcUrl(), config.dbUser(), config.dbPassword(), 4);
        this.admin = Admin.create(config.kafka());
        this.client = FanoutClient.connect(config.kafka(), config.topics());
        DataSource ds = db.dataSource();
        ApiTokens tokens = new ApiTokens(ds);
        AuditLog audit = new AuditLog(ds);
        Audited audited = new Audited(audit);
        DeadLetters deadLetters = new DeadLetters(ds, client, config.limits().answerWithin());
        Commander commander = new Commander(client, config.limits().answerWithin());
        Schedules schedules = new Schedules(ds, Clock.systemUTC());
        SignInLimits limits = new SignInLimits(config.limits().failedSignIns(), SignInLimits.PERIOD);
        JobProgress progress = new JobProgress(new JobQueries(ds), tokens, config.limits());
        java.util.function.Supplier<ExecutorsView> executors = ExecutorsView.cached(
                () -> ExecutorsView.read(admin, config.kafka(), config.topics(), config.executorGroup()));
        ConsolePages pages = new ConsolePages(tokens, new JobQueries(ds), commander, deadLetters, audit, ds, schedules, executors, limits, progress);
        List<Route> all = new ArrayList<>();
        all.add(new Route("GET", BASE + "/openapi.json", Scope.READ, "This document", null));
        all.addAll(new JobRoutes(ds, commander, deadLetters, client, audited, progress).routes(BASE));
        all.addAll(new WorkflowRoutes(ds, commander, client, audited).routes(BASE));
        all.addAll(new DeadLetterRoutes(deadLetters, audited).routes(BASE));
        all.addAll(new InstallationRoutes(executors, schedules, audit, tokens, audited).routes(BASE));
        all.addAll(pages.routes());
        this.routes = List.copyOf(all);
        String openApi = toJson(OpenApi.document(routes.stream().filter(r -> r.path().startsWith(BASE)).toList()));
        this.app = Javalin.create(c -> {
            c.jetty.host = config.host();
            c.jetty.port = config.port();
            if (config.tls() != null) {
                c.jetty.addConnector((server, http) -> httpsConnector(server, http, config));
            }
            c.startup.showJavalinBanner = false;
            c.http.maxRequestSize = MAX_BODY_BYTES;
            c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrors()));
            c.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(new JsonErrors()));
            c.routes.beforeMatched(ctx -> authorize(ctx, tokens, pages, limits, audit));
            for (Route r : routes) {
                Handler h = r.handler() != null ? r.handler() : ctx -> ctx.contentType("application/json").result(openApi);
                RouteRole role = r.isOpen() ? Open.PUBLIC : r.scope();
                switch (r.method()) {
                    case "GET" -> c.routes.get(r.path(), h, role);
                    case "POST" -> c.routes.post(r.path(), h, role);
                    case "DELETE" -> c.routes.delete(r.path(), h, role);
                    case "SSE" -> c.routes.sse(r.path(), r.stream(), role);
                    default -> throw new IllegalStateException("no method " + r.method());
                }
            }
            c.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage(), e.field()));
            c.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), e.getStatus() == 413 ? "too_large" : "http_" + e.getStatus(),
                    e.getStatus() == 413 ? "the body is larger than " + MAX_BODY_BYTES + " bytes" : HttpStatus.forStatus(e.getStatus()).getMessage(), null));
            c.routes.exception(java.util.concurrent.TimeoutException.class, (e, ctx) -> error(ctx, 504, "pending", e.getMessage(), null));
            c.routes.exception(Exception.class, ApiServer::internalError);
            c.routes.error(404, "*", ctx -> {
                if (ctx.attribute("fanout.answered") == null) {
                    error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path(), null);
                }
            });
        });
    }

    /** A failure no handler expected: a 500 with a reference to the log line, never the exception's text (it may name tables, hosts or values). */
    private static void internalError(Exception e, Context ctx) {
        String reference = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
        String request;
        try {
            request = ctx.method() + " " + ctx.path();
        } catch (RuntimeException gone) { // a stream whose request has already been recycled
            log.debug("a request that had ended failed (reference {})", reference, e);
            return;
        }
        log.error("API request {} failed (reference {})", request, reference, e);
        error(ctx, 500, "internal", "the request failed (reference " + reference + "; the server's log has the details)", null);
    }

    /** The only connector when TLS is configured: HTTPS on the configured host and port. */
    private static Connector httpsConnector(Server server, HttpConfiguration http, Config config) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStorePath(config.tls().keyStore().toString());
        ssl.setKeyStoreType("PKCS12");
        ssl.setKeyStorePassword(config.tls().password());
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false); // clients may name the server by an address its certificate also lists
        https.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
        connector.setHost(config.host());
        connector.setPort(config.port());
        return connector;
    }

    public static ApiServer start(Config config) {
        ApiServer s = new ApiServer(config);
        s.app.start();
        log.info("API listening on {}://{}:{}{}", config.tls() == null ? "http" : "https", config.host(), s.port(), BASE);
        return s;
    }

    /** The port it listens on (the HTTPS connector's, with TLS). */
    public int port() {
        for (Connector c : app.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc && sc.getLocalPort() > 0) {
                return sc.getLocalPort();
            }
        }
        return app.port();
    }

    /** Every route, with the scope it needs. */
    public List<Route> routes() {
        return routes;
    }

    /**
     * The routes as the running server's router holds them ({@code "GET /api/v1/jobs"}): what a
     * request can reach, read from the router itself (not from the list that registered them), for
     * tests that walk every route.
     */
    public List<String> servedRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .filter(e -> e.endpoint.method.isHttpMethod())
                .map(e -> e.endpoint.method.name() + " " + e.endpoint.path).distinct().sorted().toList();
    }

    /** The role of the routes anyone may use (the console's sign-in page and static files). */
    private enum Open implements RouteRole { PUBLIC }

    /**
     * Deny by default: a route that names neither a scope nor {@link Open} is refused. An API
     * request without a valid bearer token is 401; a console page without a session goes to the
     * sign-in page; a scope too small is 403.
     */
    private static void authorize(Context ctx, ApiTokens tokens, ConsolePages pages, SignInLimits limits, AuditLog audit) throws Exception {
        securityHeaders(ctx);
        if (ctx.req().getContentLengthLong() > MAX_BODY_BYTES) { // refused before anything reads it (nor is "100 Continue" sent)
            throw new ApiError(413, "too_large", "the body is larger than " + MAX_BODY_BYTES + " bytes", null);
        }
        if (ctx.method() == HandlerType.HEAD) { // not served (it used to meet no scope and answer 403 everywhere)
            ctx.header("Allow", "GET");
            throw new ApiError(405, "method_not_allowed", "HEAD is not served here; use GET", null);
        }
        Set<RouteRole> roles = ctx.routeRoles();
        if (roles.contains(Open.PUBLIC)) {
            InputGuard.check(ctx);
            return;
        }
        Optional<Scope> needed = roles.stream().filter(Scope.class::isInstance).map(Scope.class::cast).findFirst();
        if (needed.isEmpty()) {
            throw new ApiError(403, "forbidden", "this route names no scope, so nobody may use it", null);
        }
        Optional<ApiTokens.Principal> who;
        if (ctx.path().startsWith(ConsolePages.BASE)) {
            who = pages.authenticate(ctx);
            if (who.isEmpty()) {
                if (ctx.method().name().equals("GET")) {
                    ctx.redirect(ConsolePages.BASE + "/login");
                    ctx.skipRemainingHandlers();
                    return;
                }
                throw new ApiError(401, "unauthenticated", "sign in first", null);
            }
        } else {
            String token = bearer(ctx.header("Authorization"));
            if (token != null && !limits.mayTry(ctx.ip(), token)) { // a guesser: no lookup, no load on the pool
                throw new ApiError(429, "too_many_attempts", "too many requests with tokens that are not valid: wait a minute", null);
            }
            who = token != null ? tokens.authenticate(token) : Optional.empty();
            if (who.isEmpty()) {
                if (token != null) {
                    limits.failed(ctx.ip(), token);
                }
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiError(401, "unauthenticated", "a valid API token is needed (Authorization: Bearer TOKEN; fanout token create)", null);
            }
        }
        if (!who.get().scope().includes(needed.get())) {
            if (limits.mayAudit(who.get().tokenId())) {
                audit.record(who.get().name(), "access", ctx.method().name() + " " + ctx.path(), "refused", ctx.ip(),
                        "needs scope " + needed.get().label());
            }
            throw new ApiError(403, "forbidden", "this needs a token of scope " + needed.get().label() + "; this one is " + who.get().scope().label(), null);
        }
        ctx.attribute(PRINCIPAL, who.get());
        InputGuard.check(ctx);
    }

    /** The token of an {@code Authorization: Bearer TOKEN} header (the scheme in any case, as RFC 9110 has it), or null. */
    static String bearer(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = header.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static void securityHeaders(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(toJson(body));
    }

    /** JSON of the API's answers: times as ISO-8601 strings. */
    static String toJson(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body.getClass().getName() + " as JSON", e);
        }
    }

    private static void error(Context ctx, int status, String code, String message, String field) {
        securityHeaders(ctx);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message);
        if (field != null) {
            body.put("field", field);
        }
        ctx.attribute("fanout.answered", true);
        json(ctx, status, body);
    }

    @Override
    public void close() throws Exception {
        app.stop();
        client.close();
        admin.close();
        db.close();
    }
}
