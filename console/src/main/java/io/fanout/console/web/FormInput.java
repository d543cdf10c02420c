package io.fanout.console.web;

import io.fanout.console.ApiError;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;

/** Reads the console's form fields, answering bad input with a 400 that names the field (as the API does). */
final class FormInput {

    /** The most jobs one bulk action may name: the API's limit too. */
    static final int MAX_BULK = 500;

    private FormInput() {
    }

    /** The chosen jobs: 1 to {@link #MAX_BULK} ids, each a UUID, duplicates once. */
    static List<UUID> jobIds(Context ctx) {
        List<String> values = ctx.formParams("job");
        if (values.isEmpty() || values.size() > MAX_BULK) {
            throw ApiError.badRequest("job", "choose 1 to " + MAX_BULK + " jobs, got " + values.size());
        }
        LinkedHashSet<UUID> ids = new LinkedHashSet<>();
        for (String v : values) {
            try {
                ids.add(UUID.fromString(v));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("job", "job is an id (a UUID), got '" + v + "'");
            }
        }
        return new ArrayList<>(ids);
    }

    /** The error class a bulk replay names: required, so that no form replays every letter. */
    static String errorClass(Context ctx) {
        String v = ctx.formParam("errorClass");
        if (v == null || v.isBlank()) {
            throw ApiError.badRequest("errorClass", "name the error class whose letters to replay");
        }
        return v.strip();
    }
}
