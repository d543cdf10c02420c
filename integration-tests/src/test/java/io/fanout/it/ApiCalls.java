package io.fanout.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fanout.console.ApiServer;
import io.fanout.shared.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** HTTP calls to a running API server and console, for the security tests: bearer tokens, console sessions and their CSRF tokens. */
final class ApiCalls {

    record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        String code() {
            return body == null ? null : body.path("code").asText(null);
        }

        String field() {
            return body == null ? null : body.path("field").asText(null);
        }
    }

    private final HttpClient http = HttpClient.newHttpClient();
    final ApiServer server;

    ApiCalls(ApiServer server) {
        this.server = server;
    }

    static ApiServer start(FanoutCluster cluster) {
        return ApiServer.start(new ApiServer.Config("127.0.0.1", 0, cluster.jdbcUrl, SharedInfrastructure.dbUser(), null,
                Map.of("bootstrap.servers", cluster.bootstrap), cluster.topics, cluster.executorGroup()));
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    /** A call with a bearer token (or none), a body (a form when it starts with "csrf=") and a console session cookie (or none). */
    Reply call(String method, String pathAndQuery, String token, String body, String session, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (session != null) {
            b.header("Cookie", "fanout_session=" + session);
        }
        if (body != null && (body.startsWith("csrf=") || body.startsWith("token="))) {
            b.header("Content-Type", "application/x-www-form-urlencoded");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        boolean json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json");
        return new Reply(r.statusCode(), json && !r.body().isEmpty() ? Json.readTree(r.body()) : null, r);
    }

    Reply get(String pathAndQuery, String token) throws Exception {
        return call("GET", pathAndQuery, token, null, null);
    }

    /** Signs in to the console with a token (from the console's own origin); returns the session cookie's value. */
    String signIn(String token) throws Exception {
        Reply r = call("POST", "/console/login", null, "token=" + token, null, "Origin", "http://127.0.0.1:" + server.port());
        String cookie = r.raw().headers().firstValue("Set-Cookie").orElseThrow(() -> new AssertionError("not signed in: " + r.status()));
        return cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    }

    /** The CSRF token the console's overview page carries for this session. */
    String csrf(String session) throws Exception {
        String html = call("GET", "/console", null, null, session).raw().body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
        assertTrue(m.find(), "a page carries its CSRF token");
        return m.group(1);
    }
}
