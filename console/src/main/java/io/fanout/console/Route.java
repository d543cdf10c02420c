package io.fanout.console;

import io.javalin.http.Handler;
import io.javalin.http.sse.SseClient;
import java.util.function.Consumer;

/**
 * One route of the API or the console. Every route names the scope it needs; the only ones that
 * need none are made with {@link #open} (the sign-in page and the console's static files), and
 * that is a property of the route itself (not of its path, so another method on the same path is
 * not open). A route is a request handler, or ({@code method} SSE) a stream of Server-Sent Events.
 */
public record Route(String method, String path, Scope scope, String summary, Handler handler, Consumer<SseClient> stream, boolean open) {

    public Route {
        if (scope == null && !open) {
            throw new IllegalArgumentException("route " + method + " " + path + " names no scope");
        }
        if (scope != null && open) {
            throw new IllegalArgumentException("route " + method + " " + path + " is open and names a scope");
        }
    }

    public Route(String method, String path, Scope scope, String summary, Handler handler) {
        this(method, path, scope, summary, handler, null, false);
    }

    /** A route anyone may use, signed in or not. */
    public static Route open(String method, String path, String summary, Handler handler) {
        return new Route(method, path, null, summary, handler, null, true);
    }

    public static Route events(String path, Scope scope, String summary, Consumer<SseClient> stream) {
        return new Route("SSE", path, scope, summary, null, stream, false);
    }

    public boolean isOpen() {
        return open;
    }

    /** The HTTP method a client uses (an event stream is a GET). */
    public String httpMethod() {
        return method.equals("SSE") ? "GET" : method;
    }
}
