package io.fanout.it;

import io.fanout.console.ApiServer;
import io.fanout.console.ApiTokens;
import io.fanout.console.Route;
import io.fanout.console.Scope;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue 22: hostile values in every query parameter, path id and form field of every route the
 * running server serves, with an admin token (API) or an admin session (console). No answer is a
 * 5xx or carries an exception's text; where the hostile value makes the request a 400 (the same
 * request without it is not), the JSON error names that field.
 */
class ApiFuzzIT {

    /** Query parameters tried on every route, besides those its summary names. */
    private static final List<String> COMMON = List.of("since", "before", "limit", "state", "job", "errorClass", "dryRun", "from", "action", "key",
            "processor", "pool", "failed");
    private static final Pattern QUERY = Pattern.compile("query: ([^)]*)\\)");

    private static FanoutCluster cluster;
    private static ApiServer server;
    private static ApiCalls api;
    private static String admin;
    private static String session;
    private static String csrf;
    private static List<Target> targets;

    /** One place a value goes: a route, and the query parameter, path parameter or form field it fills. */
    record Target(String method, String path, String where, String name) {
    }

    @BeforeContainer
    static void start() throws Exception {
        cluster = new FanoutCluster();
        server = ApiCalls.start(cluster);
        api = new ApiCalls(server);
        admin = new ApiTokens(cluster.db()).create("fuzz", Scope.ADMIN, null, "test").secret();
        session = api.signIn(admin);
        csrf = api.csrf(session);
        targets = new ArrayList<>();
        for (String route : server.servedRoutes()) {
            String method = route.substring(0, route.indexOf(' '));
            String path = route.substring(route.indexOf(' ') + 1);
            if (path.equals("/console/logout") || path.equals("/console/login")) {
                continue; // the fuzzer's own session; the sign-in form has its own tests
            }
            Set<String> names = new LinkedHashSet<>(COMMON);
            server.routes().stream().filter(r -> r.path().equals(path) && r.httpMethod().equals(method)).map(Route::summary).forEach(s -> {
                Matcher m = QUERY.matcher(s);
                if (m.find()) {
                    for (String p : m.group(1).split(",")) {
                        names.add(p.trim().split(" ")[0]);
                    }
                }
            });
            names.forEach(n -> targets.add(new Target(method, path, "query", n)));
            Matcher param = Pattern.compile("\\{(\\w+)}").matcher(path);
            while (param.find()) {
                targets.add(new Target(method, path, "path", param.group(1)));
            }
            if (method.equals("POST") && path.startsWith("/console")) {
                for (String field : List.of("job", "errorClass")) {
                    targets.add(new Target(method, path, "form", field));
                }
            }
        }
    }

    @AfterContainer
    static void stop() throws Exception {
        server.close();
        cluster.close();
    }

    @Provide
    Arbitrary<Target> targets() {
        return Arbitraries.of(targets);
    }

    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.oneOf(
                Arbitraries.of("\u0000", "a\u0000b", "%00", "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "9223372036854775808",
                        "-9223372036854775809", "-1", "0", "1e309", "NaN", "' OR 1=1 --", "\"><script>alert(1)</script>", "javascript:alert(1)",
                        "../../etc/passwd", "%2e%2e%2f", "\u202e\u0000", "\uffff", "x".repeat(5000), "\r\nSet-Cookie: a=b", "${jndi:ldap://x/a}",
                        "true\u0000", "DEAD\u0000", "00000000-0000-0000-0000-00000000000g", "{}", "[]", " ", ""),
                Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.strings().withCharRange('\u0000', '\u001f').ofMinLength(1).ofMaxLength(5),
                Arbitraries.longs().map(String::valueOf));
    }

    @Property(tries = 1000)
    void noHostileValueGetsA5xxOrAnExceptionsTextAndA400NamesTheField(@ForAll("targets") Target t, @ForAll("hostile") String value) throws Exception {
        ApiCalls.Reply hostile = send(t, value);
        String body = hostile.raw().body();
        if (hostile.status() >= 500 || body.contains("Exception") || body.contains("\tat ") || body.contains("org.postgresql")) {
            throw new AssertionError(t + " with " + printable(value) + " answered " + hostile.status() + ": " + body);
        }
        if (hostile.status() == 400) {
            if (hostile.body() == null || hostile.code() == null) {
                throw new AssertionError(t + " with " + printable(value) + ": a 400 that is not a JSON error: " + body);
            }
            ApiCalls.Reply without = send(t, null);
            boolean named = t.name().equals(hostile.field()) || t.where().equals("path") && "path".equals(hostile.field()); // Jetty refuses before routing
            if (without.status() != 400 && !named) {
                throw new AssertionError(t + " with " + printable(value) + ": the 400 names " + hostile.field() + ", not " + t.name() + ": " + body);
            }
        }
    }

    @Provide
    Arbitrary<String> bodyRoutes() {
        return Arbitraries.of("/api/v1/jobs", "/api/v1/jobs/retry", "/api/v1/workflow-runs", "/api/v1/schedules");
    }

    /** A JSON body: an object whose known fields hold hostile values (strings, numbers, nesting), or text that is not JSON at all. */
    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> field = Arbitraries.of("processor", "key", "id", "params", "items", "taskName", "pool", "retry", "deadlineMs", "priority",
                "parallelism", "alerts", "jobs", "workflow", "definition", "version", "name", "cron", "zone", "policy", "request", "ttlAfterFinishedMs");
        Arbitrary<String> value = Arbitraries.oneOf(hostile().map(io.fanout.shared.json.Json::toText),
                Arbitraries.of("null", "true", "-1", "1e400", "9223372036854775808", "[]", "{}", "[[[[[[[[]]]]]]]]", "{\"webhooks\":[\"http://127.0.0.1:1/\"]}",
                        "[\"" + UUID.randomUUID() + "\", \"garbage\"]"));
        Arbitrary<String> object = Combinators.combine(field.list().ofMaxSize(6), value.list().ofSize(6)).as((names, values) -> {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < names.size(); i++) {
                b.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\":").append(values.get(i));
            }
            return b.append('}').toString();
        });
        return Arbitraries.oneOf(object, Arbitraries.strings().ofMaxLength(50), Arbitraries.of("{", "[", "\"\u0000\"", "{\"processor\":\"a\u0000\"}"));
    }

    @Property(tries = 300)
    void noHostileBodyGetsA5xxOrAnExceptionsText(@ForAll("bodyRoutes") String path, @ForAll("bodies") String body) throws Exception {
        ApiCalls.Reply r = api.call("POST", path, admin, body, null, "Content-Type", "application/json");
        String text = r.raw().body();
        if (r.status() >= 500 || text.contains("Exception") || text.contains("\tat ") || text.contains("org.postgresql")) {
            throw new AssertionError("POST " + path + " with " + printable(body) + " answered " + r.status() + ": " + text);
        }
        if (r.status() / 100 == 4 && (r.body() == null || r.code() == null)) {
            throw new AssertionError("POST " + path + " with " + printable(body) + ": a " + r.status() + " that is not a JSON error: " + text);
        }
    }

    /** The request with the value in its place (null: a harmless value there instead). */
    private static ApiCalls.Reply send(Target t, String value) throws Exception {
        String enc = value == null ? null : URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
        String path = t.path();
        Matcher p = Pattern.compile("\\{(\\w+)}").matcher(path);
        StringBuilder filled = new StringBuilder();
        while (p.find()) {
            boolean mine = t.where().equals("path") && p.group(1).equals(t.name()) && enc != null;
            p.appendReplacement(filled, Matcher.quoteReplacement(mine ? enc : p.group(1).equals("id") ? UUID.randomUUID().toString() : "some-name"));
        }
        p.appendTail(filled);
        String url = filled + (t.where().equals("query") && enc != null ? "?" + t.name() + "=" + enc : "");
        boolean console = t.path().startsWith("/console");
        String body = null;
        if (t.method().equals("POST")) {
            body = console ? "csrf=" + csrf + (t.where().equals("form") && enc != null ? "&" + t.name() + "=" + enc : "") : "{}";
        }
        return api.call(t.method(), url, console ? null : admin, body, console ? session : null,
                "Content-Type", console || body == null ? "application/x-www-form-urlencoded" : "application/json");
    }

    private static String printable(String value) {
        StringBuilder b = new StringBuilder("'");
        value.codePoints().limit(60).forEach(c -> b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : new String(Character.toChars(c))));
        return b.append(value.length() > 60 ? "...'" : "'").toString();
    }
}
