package io.fanout.console;

import io.javalin.http.Handler;

/** One route of the API: every route names the scope it needs (none is registered without one). */
public record Route(String method, String path, Scope scope, String summary, Handler handler) {
}
