package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanout.console.ApiServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 22: every route the running server's router serves (read from the router, not from the
 * list that registered them) is walked by a stranger, also with HEAD, OPTIONS and a trailing
 * slash. Exactly the four expected routes are open; every other answers 401 (API, console forms)
 * or sends to the sign-in page (console pages), and no answer carries an exception's text.
 */
class RouteWalkIT {

    private static final Set<String> OPEN = Set.of("GET /console/login", "POST /console/login", "GET /console/app.js", "GET /console/style.css");

    @Test
    void exactlyTheExpectedRoutesAreOpenAndNoMethodOrSlashOpensAnother() throws Exception {
        try (FanoutCluster cluster = new FanoutCluster(); ApiServer server = ApiCalls.start(cluster)) {
            ApiCalls api = new ApiCalls(server);
            List<String> served = server.servedRoutes();
            assertTrue(served.size() >= 30, "the router serves the API and the console: " + served);
            Set<String> open = new TreeSet<>();
            List<String> problems = new ArrayList<>();
            for (String route : served) {
                String method = route.substring(0, route.indexOf(' '));
                String path = route.substring(route.indexOf(' ') + 1).replace("{id}", UUID.randomUUID().toString()).replace("{name}", "some-name");
                ApiCalls.Reply plain = api.call(method, path, null, method.equals("POST") ? "csrf=x" : null, null);
                if (!closed(plain)) {
                    open.add(route);
                }
                if (!OPEN.contains(route) && !closed(api.call(method, path + "/", null, method.equals("POST") ? "csrf=x" : null, null))) {
                    problems.add(route + " with a trailing slash answered " + plain.status());
                }
                if (method.equals("GET")) {
                    ApiCalls.Reply head = api.call("HEAD", path, null, null, null);
                    if (head.status() != 405) {
                        problems.add("HEAD " + path + " answered " + head.status());
                    }
                }
                ApiCalls.Reply options = api.call("OPTIONS", path, null, null, null);
                if (options.status() / 100 == 2 || options.status() >= 500) {
                    problems.add("OPTIONS " + path + " answered " + options.status());
                }
                for (ApiCalls.Reply r : List.of(plain, options)) {
                    if (r.raw().body().contains("Exception") || r.raw().body().contains("\tat ")) {
                        problems.add(route + " leaks an exception: " + r.raw().body());
                    }
                }
            }
            assertEquals(OPEN, open, "the open routes");
            assertEquals(List.of(), problems);
            ApiCalls.Reply head = api.call("HEAD", "/api/v1/jobs", null, null, null);
            assertEquals("GET", head.raw().headers().firstValue("Allow").orElse(""));
            assertFalse(served.contains("HEAD /api/v1/jobs"));
        }
    }

    /** Refused to a stranger: 401 (the API, a console form) or sent to the sign-in page (a console page). */
    private static boolean closed(ApiCalls.Reply r) {
        return r.status() == 401 && "unauthenticated".equals(r.code())
                || r.status() == 302 && r.raw().headers().firstValue("Location").orElse("").equals("/console/login");
    }
}
