package io.fanout.console;

/**
 * An API error: the HTTP status, a stable code, a message for people, and the request field it is
 * about (null when it is about none). Answered as JSON {@code {"code", "message", "field"}}.
 */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String code;
    private final String field;

    public ApiError(int status, String code, String message, String field) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public static ApiError badRequest(String field, String message) {
        return new ApiError(400, "bad_request", message, field);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found", message, null);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }
}
