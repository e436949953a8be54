package dev.renderloop.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One request as a handler sees it: the body within the service's size limit, JSON parsing with 400s that say what
 * is wrong, and the answer (a whole JSON body, text, or a {@linkplain #openJsonStream streamed} JSON body that lets
 * the handler notice a client that went away). Not thread-safe: one handler thread owns it.
 */
public final class Exchange {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpExchange raw;
    private final int maxBodyBytes;
    private int status;

    Exchange(HttpExchange raw, int maxBodyBytes) {
        this.raw = raw;
        this.maxBodyBytes = maxBodyBytes;
    }

    public String method() {
        return raw.getRequestMethod();
    }

    public String path() {
        return raw.getRequestURI().getPath();
    }

    /** The raw query string, or {@code null}. */
    public String rawQuery() {
        return raw.getRequestURI().getRawQuery();
    }

    /** The first value of a request header, or {@code null}. */
    public String header(String name) {
        return raw.getRequestHeaders().getFirst(name);
    }

    /** The status sent so far (0 before the answer). */
    int status() {
        return status;
    }

    /**
     * The request body.
     *
     * @throws HttpError 413 when it is over the service's limit (reading stops at the limit)
     */
    public byte[] body() throws HttpError, IOException {
        // Read up to the limit even when Content-Length already says more: answering before the client has sent
        // its body makes some clients see a reset connection instead of the 413.
        InputStream in = raw.getRequestBody();
        byte[] body = in.readNBytes(maxBodyBytes + 1);
        if (body.length > maxBodyBytes) {
            throw tooLarge();
        }
        return body;
    }

    private HttpError tooLarge() {
        return new HttpError(413, "request_too_large", null, "request body over " + maxBodyBytes + " bytes (the server's"
                + " limit; send smaller batches)");
    }

    /** The body as a JSON object; 400 with the parser's message when it is not JSON or not an object. */
    public JsonNode jsonObject() throws HttpError, IOException {
        byte[] body = body();
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw HttpError.bad(null, "the body is not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw HttpError.bad(null, "the body must be a JSON object");
        }
        return node;
    }

    /** Sends a whole JSON answer. */
    public void sendJson(int status, JsonNode body) throws IOException {
        sendBytes(status, "application/json", JSON.writeValueAsBytes(body), Map.of());
    }

    /** Sends a text answer. */
    public void sendText(int status, String contentType, String text) throws IOException {
        sendBytes(status, contentType, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** Sends bytes. */
    public void sendBytes(int status, String contentType, byte[] bytes, Map<String, String> headers) throws IOException {
        raw.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach((k, v) -> raw.getResponseHeaders().set(k, v));
        this.status = status;
        raw.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = raw.getResponseBody()) {
            out.write(bytes);
        }
    }

    void sendError(HttpError e) throws IOException {
        if (status != 0) {
            return;  // the answer has started; the error cannot be sent any more
        }
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param());
        }
        err.putNull("code");
        sendBytes(e.status(), "application/json", JSON.writeValueAsBytes(root), e.headers());
    }

    /**
     * Starts a 200 JSON answer whose body follows later. Until then {@link JsonStream#beat()} writes a space (JSON
     * allows leading white space) and flushes it: that write fails once the client has closed its connection, which
     * is how a handler learns that nobody waits for its answer any more (the JDK server gives no other signal).
     */
    public JsonStream openJsonStream() throws IOException {
        raw.getResponseHeaders().set("Content-Type", "application/json");
        status = 200;
        raw.sendResponseHeaders(200, 0);
        return new JsonStream(raw.getResponseBody());
    }

    /** A JSON answer in progress; see {@link #openJsonStream()}. */
    public static final class JsonStream {
        private final OutputStream out;

        JsonStream(OutputStream out) {
            this.out = out;
        }

        /** Writes one space and flushes it; throws when the client has gone. */
        public void beat() throws IOException {
            out.write(' ');
            out.flush();
        }

        /** Writes the body and ends the answer. */
        public void finish(JsonNode body) throws IOException {
            try (out) {
                out.write(JSON.writeValueAsBytes(body));
            }
        }
    }
}
