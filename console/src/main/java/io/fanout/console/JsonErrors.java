package io.fanout.console;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The answer to a request Jetty refuses before any route sees it (a path with a NUL or an
 * ambiguous separator, a header too large): the API's JSON error, as for every other refusal,
 * never Jetty's HTML page (which names the server and may carry a cause).
 */
final class JsonErrors extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code == 413 ? "too_large" : code / 100 == 4 ? "bad_request" : "internal");
        body.put("message", code / 100 == 4 ? "the request is malformed: " + HttpStatus.getMessage(code) : "the request failed");
        if (code == 400) {
            body.put("field", "path"); // refused before routing: the request's path or headers as a whole
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        // Jetty closes the connection after a request it could not parse: say so, or a client sends its next request on it and
        // gets no answer (a POST is not retried)
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(ApiServer.toJson(body).getBytes(StandardCharsets.UTF_8)), callback);
    }
}
