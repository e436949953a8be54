package dev.renderloop.serve;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that gets an error answer: its status and an OpenAI-shaped body
 * {@code {"error": {"message", "type", "param", "code"}}}. Thrown by handlers; {@link HttpService} answers it.
 */
public final class HttpError extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final Map<String, String> headers = new LinkedHashMap<>();

    /**
     * @param status  HTTP status (4xx or 5xx)
     * @param type    machine-readable kind, e.g. {@code invalid_request_error}, {@code overloaded}
     * @param param   the request field at fault, or {@code null}
     * @param message what was wrong and what is accepted, for a person
     */
    public HttpError(int status, String type, String param, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status is 4xx or 5xx, got " + status);
        }
        this.status = status;
        this.type = type;
        this.param = param;
    }

    /** A 400 {@code invalid_request_error} about {@code param}. */
    public static HttpError bad(String param, String message) {
        return new HttpError(400, "invalid_request_error", param, message);
    }

    /** Adds a {@code Retry-After} header (seconds). */
    public HttpError retryAfter(int seconds) {
        return header("Retry-After", Integer.toString(Math.max(1, seconds)));
    }

    /** Adds a response header. */
    public HttpError header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    /** Extra response headers, e.g. Retry-After. */
    public Map<String, String> headers() {
        return Map.copyOf(headers);
    }
}
