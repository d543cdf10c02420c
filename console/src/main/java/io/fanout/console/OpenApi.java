package io.fanout.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** An OpenAPI 3.1 document of the routes, with the scope each needs. */
final class OpenApi {
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
            ObjectNode op = path.putObject(r.httpMethod().toLowerCase(java.util.Locale.ROOT));
            op.put("summary", r.summary());
            op.put("x-fanout-scope", r.scope().label());
            java.util.regex.Matcher param = java.util.regex.Pattern.compile("\\{(\\w+)}").matcher(r.path());
            while (param.find()) {
                op.withArray("parameters").addObject().put("name", param.group(1)).put("in", "path").put("required", true)
                        .putObject("schema").put("type", "string");
            }
            if (r.method().equals("SSE")) {
                op.put("x-fanout-stream", "text/event-stream");
            }
            ObjectNode responses = op.putObject("responses");
            responses.putObject(r.method().equals("POST") && !r.path().contains("{id}") ? "202" : "200").put("description", "done");
            responses.putObject("400").put("description", "bad input: {code, message, field}");
            responses.putObject("401").put("description", "no valid token");
            responses.putObject("403").put("description", "the token's scope is too small");
            responses.putObject("429").put("description", "too many attempts with tokens that are not valid from this address or token prefix");
            if (r.method().equals("POST")) {
                responses.putObject("413").put("description", "the body is over 512 KiB");
            }
        }
        return doc;
    }
}
