package io.fanout.console;

import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a request's path and query parameters, answering bad input with a 400 that names the parameter. */
public final class Params {

    static final int MAX_LIMIT = 500;
    private static final Pattern FIELD = Pattern.compile("field '([^']+)'");

    private Params() {
    }

    public static UUID uuid(Context ctx) {
        try {
            return UUID.fromString(ctx.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("id", "'" + ctx.pathParam("id") + "' is not an id (a UUID)");
        }
    }

    static UUID uuidQuery(Context ctx, String name) {
        String v = ctx.queryParam(name);
        try {
            return v == null ? null : UUID.fromString(v);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(name, name + " is an id (a UUID), got '" + v + "'");
        }
    }

    public static long number(Context ctx) {
        try {
            return Long.parseLong(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("id", "'" + ctx.pathParam("id") + "' is not a number");
        }
    }

    /** A positive whole number query parameter, or null when absent. */
    public static Long longQuery(Context ctx, String name) {
        String v = ctx.queryParam(name);
        try {
            long n = v == null ? 1 : Long.parseLong(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return v == null ? null : n;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest(name, name + " is a positive whole number, got '" + v + "'");
        }
    }

    static int limit(Context ctx, int dflt) {
        String v = ctx.queryParam("limit");
        try {
            int n = v == null ? dflt : Integer.parseInt(v);
            if (n < 1 || n > MAX_LIMIT) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badRequest("limit", "limit is a number from 1 to " + MAX_LIMIT + ", got '" + v + "'");
        }
    }

    /** The earliest and latest instants a query may name: PostgreSQL and the windows computed from them hold these without overflow. */
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    static Instant instant(Context ctx, String name, Instant dflt) {
        String v = ctx.queryParam(name);
        Instant t;
        try {
            t = v == null ? dflt : Instant.parse(v);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(name, name + " is an ISO-8601 instant (e.g. 2026-12-01T00:00:00Z), got '" + v + "'");
        }
        if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
            throw ApiError.badRequest(name, name + " is an instant from " + EARLIEST + " to " + LATEST + ", got '" + v + "'");
        }
        return t;
    }

    /** A query parameter that must be one of an enum's names (null when absent). */
    static <E extends Enum<E>> String oneOf(Context ctx, String name, Class<E> type) {
        String v = ctx.queryParam(name);
        if (v != null && Arrays.stream(type.getEnumConstants()).noneMatch(c -> c.name().equals(v))) {
            throw ApiError.badRequest(name, name + " is one of " + Arrays.toString(type.getEnumConstants()) + ", got '" + v + "'");
        }
        return v;
    }

    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true")) {
            return true;
        }
        throw ApiError.badRequest(name, name + " is true or false, got '" + v + "'");
    }

    /** The field a request parser's message names ("field 'x' ..."), if any. */
    static String fieldOf(String message) {
        Matcher m = FIELD.matcher(message);
        return m.find() ? m.group(1) : null;
    }
}
