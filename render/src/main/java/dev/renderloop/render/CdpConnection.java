package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A Chrome DevTools Protocol connection over the browser's debugging pipe
 * ({@code --remote-debugging-pipe}): the browser reads commands from its fd 3 and writes answers
 * and events to its fd 4, each message one JSON object followed by a NUL byte. Sessions are
 * "flat": a message for a page carries the {@code sessionId} that {@code Target.attachToTarget}
 * returned, and the browser itself is the session {@code ""}.
 *
 * <p>Thread-safe. One reader thread completes the futures of {@link #send} and hands events to the
 * listener of their session, on the reader thread (listeners must not block). When the browser
 * closes the pipe (it exited or was killed) every pending call fails with a
 * {@link CdpException#connectionLost() lost connection}, and every listener receives one event
 * named {@link #CONNECTION_CLOSED}, so that a job waiting for page events learns it at once.
 */
final class CdpConnection implements AutoCloseable {
    /** Synthetic event delivered to every listener when the pipe closes. */
    static final String CONNECTION_CLOSED = "RenderLoop.connectionClosed";
    /** Largest message accepted: a full-page PNG of the tallest capture, base64-encoded, with room to spare. */
    static final int MAX_MESSAGE_BYTES = 256 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its method, parameters and the session it belongs to ({@code ""} for the browser). */
    record Event(String method, JsonNode params, String sessionId) {
    }

    private final OutputStream out;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, Consumer<Event>> listeners = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();

    /**
     * Starts reading {@code in} on a daemon thread named after {@code name}.
     *
     * @param in  the browser's output (its fd 4)
     * @param out the browser's input (its fd 3)
     */
    CdpConnection(InputStream in, OutputStream out, String name) {
        this.out = out;
        Thread.ofPlatform().daemon().name("cdp-reader-" + name).start(() -> read(in));
    }

    /**
     * Sends a command without waiting. The future completes with the command's {@code result}, or
     * exceptionally with a {@link CdpException} (an error answer, or the connection closed).
     */
    CompletableFuture<JsonNode> send(String method, ObjectNode params, String sessionId) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        if (closed.isDone()) {
            answer.completeExceptionally(lost(method));
            return answer;
        }
        pending.put(id, answer);
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", params == null ? JSON.createObjectNode() : params);
        if (sessionId != null && !sessionId.isEmpty()) {
            message.put("sessionId", sessionId);
        }
        try {
            byte[] bytes = JSON.writeValueAsBytes(message);
            synchronized (out) {
                out.write(bytes);
                out.write(0);
                out.flush();
            }
        } catch (IOException e) {
            shutDown("cannot write to the browser: " + e.getMessage());
        }
        if (closed.isDone()) {
            // The reader may have failed everything before this call was registered.
            pending.remove(id);
            answer.completeExceptionally(lost(method));
        }
        return answer;
    }

    /**
     * Sends a command and waits for its result.
     *
     * @throws CdpException     the browser answered with an error, or the connection is gone
     * @throws TimeoutException no answer within {@code timeout} (the command may still complete later)
     */
    JsonNode call(String method, ObjectNode params, String sessionId, Duration timeout)
            throws CdpException, TimeoutException, InterruptedException {
        CompletableFuture<JsonNode> answer = send(method, params, sessionId);
        try {
            return answer.get(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CdpException cdp) {
                throw cdp;
            }
            throw new CdpException(method + " failed: " + e.getCause(), false);
        } catch (TimeoutException e) {
            throw new TimeoutException(method + " got no answer within " + timeout.toMillis() + " ms");
        }
    }

    /** Routes the events of {@code sessionId} ({@code ""}: the browser's own) to {@code listener}. */
    void subscribe(String sessionId, Consumer<Event> listener) {
        listeners.put(sessionId, listener);
        if (closed.isDone()) {
            listener.accept(new Event(CONNECTION_CLOSED, JSON.createObjectNode(), sessionId));
        }
    }

    void unsubscribe(String sessionId) {
        listeners.remove(sessionId);
    }

    boolean isOpen() {
        return !closed.isDone();
    }

    /** Why the connection closed, or null while it is open. */
    String closedReason() {
        return closed.getNow(null);
    }

    /** Fails every pending call and notifies every listener; the browser sees EOF on its fd 3. */
    @Override
    public void close() {
        shutDown("the connection was closed by RenderLoop");
        try {
            synchronized (out) {
                out.close();
            }
        } catch (IOException ignored) {
            // already closed by the other side
        }
    }

    private void read(InputStream in) {
        ByteArrayOutputStream message = new ByteArrayOutputStream(64 * 1024);
        byte[] buffer = new byte[64 * 1024];
        String reason = "the browser closed the DevTools pipe";
        try (in) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == 0) {
                        message.write(buffer, from, i - from);
                        dispatch(message.toByteArray());
                        message.reset();
                        from = i + 1;
                    }
                }
                message.write(buffer, from, n - from);
                if (message.size() > MAX_MESSAGE_BYTES) {
                    reason = "the browser sent a message over " + (MAX_MESSAGE_BYTES >> 20) + " MiB";
                    break;
                }
            }
        } catch (IOException e) {
            reason = "reading from the browser failed: " + e.getMessage();
        } finally {
            shutDown(reason);
        }
    }

    private void dispatch(byte[] bytes) {
        JsonNode message;
        try {
            message = JSON.readTree(bytes);
        } catch (IOException e) {
            return;  // not JSON: nothing to route; the browser never sends such frames
        }
        if (message.has("id")) {
            CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asLong());
            if (answer == null) {
                return;
            }
            JsonNode error = message.get("error");
            if (error != null) {
                answer.completeExceptionally(new CdpException(error.path("message").asText("error") + " ("
                        + error.path("code").asInt() + ")", false));
            } else {
                answer.complete(message.path("result"));
            }
            return;
        }
        String session = message.path("sessionId").asText("");
        Consumer<Event> listener = listeners.get(session);
        if (listener != null) {
            listener.accept(new Event(message.path("method").asText(), message.path("params"), session));
        }
    }

    private void shutDown(String reason) {
        if (!closed.complete(reason)) {
            return;
        }
        pending.values().forEach(f -> f.completeExceptionally(new CdpException(reason, true)));
        pending.clear();
        listeners.forEach((session, l) -> l.accept(new Event(CONNECTION_CLOSED, JSON.createObjectNode(), session)));
    }

    private CdpException lost(String method) {
        return new CdpException(method + ": " + closed.getNow("connection closed"), true);
    }

    /** A command failed: the browser answered with an error, or the connection is gone. */
    static final class CdpException extends Exception {
        private final boolean connectionLost;

        CdpException(String message, boolean connectionLost) {
            super(message);
            this.connectionLost = connectionLost;
        }

        /** True when the browser is gone (exited, killed, or its pipe closed), not a refused command. */
        boolean connectionLost() {
            return connectionLost;
        }
    }
}
