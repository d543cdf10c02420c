package io.fanout.console;

import io.javalin.http.Handler;
import io.javalin.http.sse.SseClient;
import java.util.function.Consumer;

/**
 * One route of the API or the console. Every route names the scope it needs; the only ones that
 * need none are made with {@link #open} (the sign-in page and the console's static files). A route
 * is a request handler, or ({@code method} SSE) a stream of Server-Sent Events.
 */
public record Route(String method, String path, Scope scope, String summary, Handler handler, Consumer<SseClient> stream) {

    public Route {
        if (scope == null && !OPEN.contains(path)) {
            throw new IllegalArgumentException("route " + method + " " + path + " names no scope");
        }
    }

    private static final java.util.Set<String> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public Route(String method, String path, Scope scope, String summary, Handler handler) {
        this(method, path, scope, summary, handler, null);
    }

    /** A route anyone may use, signed in or not. */
    public static Route open(String method, String path, String summary, Handler handler) {
        OPEN.add(path);
        return new Route(method, path, null, summary, handler, null);
    }

    public static Route events(String path, Scope scope, String summary, Consumer<SseClient> stream) {
        return new Route("SSE", path, scope, summary, null, stream);
    }

    public boolean isOpen() {
        return scope == null;
    }

    /** The HTTP method a client uses (an event stream is a GET). */
    public String httpMethod() {
        return method.equals("SSE") ? "GET" : method;
    }
}
