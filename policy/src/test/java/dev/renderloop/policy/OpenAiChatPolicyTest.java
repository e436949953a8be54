package dev.renderloop.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The chat-completions client against a real local HTTP server that plays scripted answers. */
class OpenAiChatPolicyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Task TASK = new Task("t1", "manim", "Draw a circle", "code", null, null);

    /** One scripted reply: status, body, headers, and a delay before answering. */
    record Reply(int status, String body, Map<String, String> headers, long delayMillis) {
        static Reply ok(String body) {
            return new Reply(200, body, Map.of(), 0);
        }

        static Reply status(int status, String body) {
            return new Reply(status, body, Map.of(), 0);
        }
    }

    private HttpServer server;
    private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
    private final List<JsonNode> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> authHeaders = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final List<Duration> sleeps = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            bodies.add(JSON.readTree(exchange.getRequestBody()));
            authHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            Reply r = script.poll();
            if (r == null) {
                r = Reply.status(500, "{\"error\":{\"message\":\"script exhausted\"}}");
            }
            if (r.delayMillis() > 0) {
                try {
                    Thread.sleep(r.delayMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
            r.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                exchange.getResponseBody().write(out);
            }
        } catch (IOException e) {
            // the client gave up (timeout test)
        } finally {
            inFlight.decrementAndGet();
            exchange.close();
        }
    }

    private OpenAiConfig config() {
        return OpenAiConfig.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1"), "tiny-coder")
                .withLimits(4, Duration.ofSeconds(5), 2, Duration.ofMillis(100));
    }

    private OpenAiChatPolicy policy(OpenAiConfig config) {
        return new OpenAiChatPolicy(config, Map.of("TEST_KEY", "sk-test-123")::get, sleeps::add, 1);
    }

    private static PolicyRequest request(int n) {
        Conversation c = Conversation.of("You write Manim code.", Message.user("Draw a circle", List.of(ImageContent.png(new byte[] {1, 2, 3}))));
        return new PolicyRequest(TASK, c, Purpose.GENERATE, n, new Sampling(0.9, 0.9, 0.1, 1638, 42L, true));
    }

    private static String completion(String... texts) {
        StringBuilder choices = new StringBuilder();
        for (int i = 0; i < texts.length; i++) {
            if (i > 0) {
                choices.append(',');
            }
            choices.append("{\"index\":").append(i).append(",\"message\":{\"role\":\"assistant\",\"content\":")
                    .append(JSON.valueToTree(texts[i]).toString())
                    .append("},\"finish_reason\":\"stop\",\"logprobs\":{\"content\":[{\"token\":\"a\",\"logprob\":-0.5},{\"token\":\"b\",\"logprob\":-1.25}]}}");
        }
        return "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[" + choices + "],\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":9}}";
    }

    @Test
    void sendsTheWireFormatAndReadsEveryChoice() throws Exception {
        script.add(Reply.ok(completion("```python\nA\n```", "B")));
        OpenAiChatPolicy policy = policy(config().withApiKeyEnv("TEST_KEY"));
        PolicyResponse r = policy.respond(request(2));
        assertTrue(r.ok(), r.error());
        assertEquals(List.of("```python\nA\n```", "B"), r.candidates().stream().map(Candidate::text).toList());
        assertEquals(List.of(-0.5, -1.25), r.candidates().get(1).tokenLogprobs());
        assertEquals(new Usage(17, 9), r.usage());
        assertEquals(new Usage(17, 9), policy.totalUsage());
        assertEquals(1, r.attempts());

        JsonNode body = bodies.get(0);
        assertEquals("tiny-coder", body.path("model").asText());
        assertEquals(2, body.path("n").asInt());
        assertEquals(0.9, body.path("temperature").asDouble());
        assertEquals(0.1, body.path("min_p").asDouble());
        assertEquals(1638, body.path("max_tokens").asInt());
        assertEquals(42, body.path("seed").asLong());
        assertTrue(body.path("logprobs").asBoolean());
        assertEquals("system", body.path("messages").get(0).path("role").asText());
        JsonNode parts = body.path("messages").get(1).path("content");
        assertEquals("Draw a circle", parts.get(0).path("text").asText());
        assertEquals("data:image/png;base64,AQID", parts.get(1).path("image_url").path("url").asText());
        assertEquals("Bearer sk-test-123", authHeaders.get(0));
    }

    @Test
    void rateLimitIsRetriedHonouringRetryAfter() {
        script.add(new Reply(429, "{\"error\":{\"message\":\"slow down\"}}", Map.of("Retry-After", "2"), 0));
        script.add(Reply.ok(completion("ok")));
        PolicyResponse r = policy(config()).respond(request(1));
        assertTrue(r.ok(), r.error());
        assertEquals(2, r.attempts());
        assertEquals(List.of(Duration.ofSeconds(2)), sleeps);
    }

    @Test
    void serverErrorsAreRetriedThenReported() {
        for (int i = 0; i < 3; i++) {
            script.add(Reply.status(503, "{\"error\":{\"message\":\"overloaded\"}}"));
        }
        PolicyResponse r = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.SERVER_ERROR, r.errorKind());
        assertEquals(3, r.attempts());
        assertTrue(r.error().contains("overloaded") && r.error().contains("after 3 attempts"), r.error());
        assertEquals(2, sleeps.size());
        assertTrue(sleeps.get(1).compareTo(sleeps.get(0)) > 0, "backoff grows: " + sleeps);
    }

    @Test
    void timeoutsAreRetriedThenReported() {
        for (int i = 0; i < 3; i++) {
            script.add(new Reply(200, completion("late"), Map.of(), 1500));
        }
        OpenAiConfig c = config().withLimits(4, Duration.ofMillis(300), 2, Duration.ofMillis(10));
        PolicyResponse r = policy(c).respond(request(1));
        assertEquals(PolicyErrorKind.TIMEOUT, r.errorKind());
        assertEquals(3, r.attempts());
    }

    @Test
    void malformedAndEmptyAnswersAreClassifiedWithoutRetry() {
        script.add(Reply.ok("<html>gateway</html>"));
        PolicyResponse malformed = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.MALFORMED_RESPONSE, malformed.errorKind());
        assertEquals(1, malformed.attempts());

        script.add(Reply.ok("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":0}}"));
        PolicyResponse empty = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.EMPTY_CHOICES, empty.errorKind());

        script.add(Reply.ok("{\"choices\":[{\"message\":{\"content\":{\"not\":\"text\"}}}]}"));
        assertEquals(PolicyErrorKind.MALFORMED_RESPONSE, policy(config()).respond(request(1)).errorKind());

        script.add(Reply.ok("[1,2]"));
        assertEquals(PolicyErrorKind.MALFORMED_RESPONSE, policy(config()).respond(request(1)).errorKind());
        assertTrue(sleeps.isEmpty());
    }

    @Test
    void clientErrorsAreClassifiedAndNotRetried() {
        script.add(Reply.status(401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}"));
        PolicyResponse auth = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.UNAUTHORIZED, auth.errorKind());
        assertTrue(auth.error().contains("Incorrect API key"), auth.error());

        script.add(Reply.status(404, "{\"error\":{\"message\":\"The model `tiny-coder` does not exist.\"}}"));
        assertEquals(PolicyErrorKind.UNKNOWN_MODEL, policy(config()).respond(request(1)).errorKind());

        script.add(Reply.status(400, "{\"object\":\"error\",\"message\":\"This model's maximum context length is 4096 tokens.\"}"));
        PolicyResponse ctx = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.CONTEXT_TOO_LONG, ctx.errorKind());
        assertTrue(ctx.error().contains("maximum context length"), ctx.error());

        script.add(Reply.status(400, "not json at all"));
        PolicyResponse bad = policy(config()).respond(request(1));
        assertEquals(PolicyErrorKind.BAD_REQUEST, bad.errorKind());
        assertTrue(bad.error().contains("not json at all"), bad.error());
        assertEquals(4, bodies.size(), "no retries for 4xx");
    }

    @Test
    void refusedConnectionsAreTransportErrors() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OpenAiConfig c = OpenAiConfig.of(URI.create("http://127.0.0.1:" + port + "/v1"), "m").withLimits(1, Duration.ofSeconds(2), 1, Duration.ofMillis(1));
        PolicyResponse r = policy(c).respond(request(1));
        assertEquals(PolicyErrorKind.TRANSPORT, r.errorKind());
        assertEquals(2, r.attempts());
    }

    @Test
    void concurrencyIsBounded() throws Exception {
        for (int i = 0; i < 8; i++) {
            script.add(new Reply(200, completion("x" + i), Map.of(), 150));
        }
        OpenAiChatPolicy policy = policy(config().withLimits(2, Duration.ofSeconds(5), 0, Duration.ofMillis(1)));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<PolicyResponse>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> policy.respond(request(1))));
            }
            for (Future<PolicyResponse> f : futures) {
                assertTrue(f.get().ok());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2, maxInFlight.get());
        assertEquals(new Usage(8 * 17, 8 * 9), policy.totalUsage());
    }

    @Test
    void aNamedKeyVariableThatIsUnsetIsAConfigurationError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OpenAiChatPolicy(config().withApiKeyEnv("MISSING_KEY"), Map.<String, String>of()::get, sleeps::add, 1));
        assertTrue(e.getMessage().contains("MISSING_KEY"));
        assertFalse(e.getMessage().contains("sk-"));
    }
}
