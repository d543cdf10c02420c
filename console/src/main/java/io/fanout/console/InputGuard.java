package io.fanout.console;

import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * Refuses hostile input before any handler reads it: every query parameter, path parameter and
 * form field is checked once here for what no handler wants and PostgreSQL cannot store (NUL and
 * other control characters, over-long values, broken URL encoding), so no such request reaches a
 * query and comes back as a 500. The 400 names the field.
 */
final class InputGuard {

    static final int MAX_VALUE_CHARS = 2_000;
    static final int MAX_VALUES = 1_000;

    private InputGuard() {
    }

    static void check(Context ctx) {
        Map<String, List<String>> query;
        try {
            query = ctx.queryParamMap();
        } catch (RuntimeException e) {
            throw ApiError.badRequest("query", "the query string is not valid URL encoding");
        }
        checkAll(query, "query parameter");
        ctx.pathParamMap().forEach((name, value) -> checkValue(name, value, "path parameter"));
        String type = ctx.contentType();
        String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/form-data")) {
            Map<String, List<String>> form;
            try {
                form = ctx.formParamMap();
            } catch (RuntimeException e) {
                throw ApiError.badRequest("form", "the form is not valid URL encoding");
            }
            checkAll(form, "form field");
        }
    }

    private static void checkAll(Map<String, List<String>> params, String what) {
        int values = 0;
        for (Map.Entry<String, List<String>> p : params.entrySet()) {
            checkValue(what, p.getKey(), what + " name");
            for (String v : p.getValue()) {
                checkValue(p.getKey(), v, what);
                if (++values > MAX_VALUES) {
                    throw ApiError.badRequest(p.getKey(), "at most " + MAX_VALUES + " " + what + " values per request");
                }
            }
        }
    }

    private static void checkValue(String name, String value, String what) {
        String field = safeName(name);
        if (value.length() > MAX_VALUE_CHARS) {
            throw ApiError.badRequest(field, what + " '" + field + "' has more than " + MAX_VALUE_CHARS + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(value, i)) {
                throw ApiError.badRequest(field, what + " '" + field + "' holds a control character or broken text");
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
    }

    private static boolean validSurrogate(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** The name to report: the parameter's own, unless it is itself hostile. */
    private static String safeName(String name) {
        return name.length() <= 100 && name.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f && ch != '\'') ? name : "parameter";
    }
}
