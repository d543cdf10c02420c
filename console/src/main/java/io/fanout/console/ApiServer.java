package io.fanout.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fanout.client.FanoutClient;
import io.fanout.coordinator.control.JobControl;
import io.fanout.coordinator.control.WorkflowControl;
import io.fanout.coordinator.store.Database;
import io.fanout.shared.TopicNames;
import io.fanout.shared.json.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API: JSON over HTTP, every route behind a bearer token of a sufficient scope, every
 * state-changing action in the audit log. A process of its own: it needs PostgreSQL and Kafka, not
 * a coordinator. Binds to localhost unless told otherwise.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    static final String PRINCIPAL = "fanout.principal";

    /** Where to listen, and the installation it serves. */
    public record Config(String host, int port, String jdbcUrl, String dbUser, String dbPassword, Map<String, Object> kafka, TopicNames topics) {
    }

    private final Database db;
    private final Producer<byte[], byte[]> producer;
    private final FanoutClient client;
    private final List<Route> routes;
    private final Javalin app;

    private ApiServer(Config config) {
        this.db = Database.connect(config.jdbcUrl(), config.dbUser(), config.dbPassword(), 4);
        Map<String, Object> p = new HashMap<>(config.kafka());
        p.putIfAbsent("acks", "all");
        p.putIfAbsent("client.id", "fanout-api");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.client = FanoutClient.connect(config.kafka(), config.topics());
        ApiTokens tokens = new ApiTokens(db.dataSource());
        AuditLog audit = new AuditLog(db.dataSource());
        this.routes = new ApiRoutes(db.dataSource(), new JobControl(db.dataSource(), producer, config.topics()),
                new WorkflowControl(db.dataSource(), producer, config.topics()), client, audit, tokens).all();
        String openApi = Json.toText(OpenApi.document(routes));
        this.app = Javalin.create(c -> {
            c.jetty.host = config.host();
            c.jetty.port = config.port();
            c.startup.showJavalinBanner = false;
            c.routes.beforeMatched(ctx -> authorize(ctx, tokens));
            for (Route r : routes) {
                io.javalin.http.Handler h = r.handler() != null ? r.handler() : ctx -> ctx.contentType("application/json").result(openApi);
                switch (r.method()) {
                    case "GET" -> c.routes.get(r.path(), h, r.scope());
                    case "POST" -> c.routes.post(r.path(), h, r.scope());
                    default -> throw new IllegalStateException("no method " + r.method());
                }
            }
            c.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status(), e.code(), e.getMessage(), e.field()));
            c.routes.exception(Exception.class, (e, ctx) -> {
                log.error("API request {} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "internal", "the request failed: " + e, null);
            });
            c.routes.error(404, "*", ctx -> {
                if (ctx.attribute("fanout.answered") == null) {
                    error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path(), null);
                }
            });
        });
    }

    public static ApiServer start(Config config) {
        ApiServer s = new ApiServer(config);
        s.app.start();
        log.info("API listening on http://{}:{}{}", config.host(), s.app.port(), ApiRoutes.BASE);
        return s;
    }

    public int port() {
        return app.port();
    }

    /** Every route, with the scope it needs. */
    public List<Route> routes() {
        return routes;
    }

    /**
     * Deny by default: a route that names no scope is refused; a request without a valid token is
     * 401, one whose token's scope is too small 403.
     */
    private static void authorize(Context ctx, ApiTokens tokens) throws Exception {
        securityHeaders(ctx);
        Set<RouteRole> roles = ctx.routeRoles();
        Optional<Scope> needed = roles.stream().filter(Scope.class::isInstance).map(Scope.class::cast).findFirst();
        if (needed.isEmpty()) {
            throw new ApiError(403, "forbidden", "this route names no scope, so nobody may use it", null);
        }
        String header = ctx.header("Authorization");
        Optional<ApiTokens.Principal> who = header != null && header.startsWith("Bearer ") ? tokens.authenticate(header.substring(7).trim())
                : Optional.empty();
        if (who.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "unauthenticated", "a valid API token is needed (Authorization: Bearer TOKEN; fanout token create)", null);
        }
        if (!who.get().scope().includes(needed.get())) {
            throw new ApiError(403, "forbidden", "this needs a token of scope " + needed.get().label() + "; this one is " + who.get().scope().label(), null);
        }
        ctx.attribute(PRINCIPAL, who.get());
    }

    private static void securityHeaders(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.toText(body));
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
        producer.close();
        db.close();
    }

    /** An OpenAPI 3.1 document of the routes, with the scope each needs. */
    static final class OpenApi {
        private OpenApi() {
        }

        static ObjectNode document(List<Route> routes) {
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode doc = f.objectNode();
            doc.put("openapi", "3.1.0");
            doc.putObject("info").put("title", "Fanout API").put("version", "1")
                    .put("description", "Every route needs a bearer token (fanout token create) of the scope it names in x-fanout-scope.");
            doc.putObject("components").putObject("securitySchemes").putObject("token").put("type", "http").put("scheme", "bearer");
            doc.putArray("security").addObject().putArray("token");
            ObjectNode paths = doc.putObject("paths");
            for (Route r : routes) {
                ObjectNode path = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
                ObjectNode op = path.putObject(r.method().toLowerCase(java.util.Locale.ROOT));
                op.put("summary", r.summary());
                op.put("x-fanout-scope", r.scope().label());
                if (r.path().contains("{id}")) {
                    op.putArray("parameters").addObject().put("name", "id").put("in", "path").put("required", true)
                            .putObject("schema").put("type", "string").put("format", "uuid");
                }
                ObjectNode responses = op.putObject("responses");
                responses.putObject(r.method().equals("POST") && !r.path().contains("{id}") ? "202" : "200").put("description", "done");
                responses.putObject("400").put("description", "bad input: {code, message, field}");
                responses.putObject("401").put("description", "no valid token");
                responses.putObject("403").put("description", "the token's scope is too small");
            }
            return doc;
        }
    }
}
