package dev.renderloop.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A policy behind an OpenAI-compatible {@code /chat/completions} endpoint.
 *
 * <p>At most {@code maxConcurrency} requests are in flight. 429, 5xx, timeouts and connection errors are
 * retried with exponential backoff and jitter (or the server's {@code Retry-After}); 4xx errors are not
 * retried and are classified (bad key, unknown model, context too long). Token usage is accumulated.
 */
final class OpenAiChatPolicy implements Policy {
    /** Sleeps between retries; replaced in tests so that backoff costs no wall time. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    private final OpenAiConfig config;
    private final String apiKey;
    private final HttpClient http;
    private final Semaphore inFlight;
    private final Sleeper sleeper;
    private final Random jitter;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong completionTokens = new AtomicLong();

    OpenAiChatPolicy(OpenAiConfig config, Function<String, String> environment, Sleeper sleeper, long jitterSeed) {
        this.config = config;
        if (config.apiKeyEnv() != null) {
            String key = environment.apply(config.apiKeyEnv());
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("environment variable " + config.apiKeyEnv()
                        + " (named as the API key variable) is not set");
            }
            this.apiKey = key.strip();
        } else {
            this.apiKey = null;
        }
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
        this.inFlight = new Semaphore(config.maxConcurrency(), true);
        this.sleeper = sleeper;
        this.jitter = new Random(jitterSeed);
    }

    @Override
    public String name() {
        return "openai:" + config.model() + "@" + config.baseUrl();
    }

    /** Tokens spent by this client so far. */
    Usage totalUsage() {
        return new Usage(promptTokens.get(), completionTokens.get());
    }

    @Override
    public PolicyResponse respond(PolicyRequest request) {
        long start = System.nanoTime();
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(body(request));
        } catch (IOException e) {
            return PolicyResponse.failure(PolicyErrorKind.BAD_REQUEST, "cannot encode request: " + e.getMessage(), Usage.NONE, 0, 0);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(config.endpoint())
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        HttpRequest httpRequest = builder.build();
        int attempts = 0;
        Duration backoff = config.initialBackoff();
        while (true) {
            attempts++;
            Attempt a = attempt(httpRequest);
            if (a.response != null || !a.kind.retryable() || attempts > config.maxRetries()) {
                long millis = (System.nanoTime() - start) / 1_000_000;
                if (a.response != null) {
                    return a.response.withTiming(millis, attempts);
                }
                String note = attempts > 1 ? " (after " + attempts + " attempts)" : "";
                return PolicyResponse.failure(a.kind, a.message + note, Usage.NONE, millis, attempts);
            }
            Duration wait = a.retryAfter != null ? a.retryAfter : withJitter(backoff);
            try {
                sleeper.sleep(wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                long millis = (System.nanoTime() - start) / 1_000_000;
                return PolicyResponse.failure(a.kind, a.message + " (interrupted while backing off)", Usage.NONE, millis, attempts);
            }
            backoff = backoff.multipliedBy(2);
        }
    }

    private Duration withJitter(Duration d) {
        double factor;
        synchronized (jitter) {
            factor = 0.5 + jitter.nextDouble();
        }
        return Duration.ofMillis((long) (d.toMillis() * factor));
    }

    /** One HTTP exchange: a response (success) or an error kind with an optional Retry-After. */
    private record Attempt(Parsed response, PolicyErrorKind kind, String message, Duration retryAfter) {
    }

    /** A parsed successful answer awaiting its timing. */
    private record Parsed(List<Candidate> candidates, Usage usage) {
        PolicyResponse withTiming(long millis, int attempts) {
            return PolicyResponse.of(candidates, usage, millis, attempts);
        }
    }

    private Attempt attempt(HttpRequest request) {
        HttpResponse<String> response;
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(null, PolicyErrorKind.TRANSPORT, "interrupted", null);
        }
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return new Attempt(null, PolicyErrorKind.TIMEOUT, "no answer within " + config.timeout().toSeconds() + " s from " + config.endpoint(), null);
        } catch (ConnectException e) {
            return new Attempt(null, PolicyErrorKind.TRANSPORT, "cannot connect to " + config.endpoint() + ": " + e, null);
        } catch (IOException e) {
            return new Attempt(null, PolicyErrorKind.TRANSPORT, "connection to " + config.endpoint() + " failed: " + e, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(null, PolicyErrorKind.TRANSPORT, "interrupted", null);
        } finally {
            inFlight.release();
        }
        int status = response.statusCode();
        String text = response.body() == null ? "" : response.body();
        if (status == 200) {
            return parse(text);
        }
        String detail = errorDetail(text);
        Duration retryAfter = response.headers().firstValue("Retry-After").map(OpenAiChatPolicy::seconds).orElse(null);
        String message = "HTTP " + status + " from " + config.endpoint() + ": " + detail;
        if (status == 429) {
            return new Attempt(null, PolicyErrorKind.RATE_LIMITED, message, retryAfter);
        }
        if (status >= 500) {
            return new Attempt(null, PolicyErrorKind.SERVER_ERROR, message, retryAfter);
        }
        if (status == 401 || status == 403) {
            return new Attempt(null, PolicyErrorKind.UNAUTHORIZED, message + (apiKey == null
                    ? " (no API key configured)" : " (check the key in $" + config.apiKeyEnv() + ")"), null);
        }
        String lower = detail.toLowerCase(Locale.ROOT);
        if (status == 404 || lower.contains("model") && (lower.contains("does not exist") || lower.contains("not found"))) {
            return new Attempt(null, PolicyErrorKind.UNKNOWN_MODEL, message + " (model " + config.model() + ")", null);
        }
        if (lower.contains("context length") || lower.contains("context_length") || lower.contains("maximum context")
                || lower.contains("too long") || lower.contains("too many tokens")) {
            return new Attempt(null, PolicyErrorKind.CONTEXT_TOO_LONG, message, null);
        }
        return new Attempt(null, PolicyErrorKind.BAD_REQUEST, message, null);
    }

    private static Duration seconds(String value) {
        try {
            double s = Double.parseDouble(value.trim());
            return s >= 0 ? Duration.ofMillis((long) (s * 1000)) : null;
        } catch (NumberFormatException e) {
            return null; // an HTTP date: use our own backoff
        }
    }

    private static String errorDetail(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            JsonNode error = node.path("error");
            String m = error.isTextual() ? error.asText() : error.path("message").asText(node.path("message").asText(""));
            if (!m.isEmpty()) {
                return m;
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: quote the start of the body
        }
        String b = body.strip();
        return b.isEmpty() ? "(empty body)" : b.substring(0, Math.min(300, b.length()));
    }

    private Attempt parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            return new Attempt(null, PolicyErrorKind.MALFORMED_RESPONSE, "answer from " + config.endpoint() + " is not JSON: "
                    + text.substring(0, Math.min(200, text.length())), null);
        }
        if (root == null || !root.isObject()) {
            return new Attempt(null, PolicyErrorKind.MALFORMED_RESPONSE, "answer from " + config.endpoint() + " is not a JSON object", null);
        }
        JsonNode usageNode = root.path("usage");
        Usage usage = new Usage(usageNode.path("prompt_tokens").asLong(0), usageNode.path("completion_tokens").asLong(0));
        promptTokens.addAndGet(usage.promptTokens());
        completionTokens.addAndGet(usage.completionTokens());
        JsonNode choices = root.path("choices");
        if (!choices.isArray()) {
            return new Attempt(null, PolicyErrorKind.MALFORMED_RESPONSE, "answer from " + config.endpoint() + " has no choices array", null);
        }
        if (choices.isEmpty()) {
            return new Attempt(null, PolicyErrorKind.EMPTY_CHOICES, "answer from " + config.endpoint() + " has zero choices", null);
        }
        List<Candidate> candidates = new ArrayList<>();
        for (JsonNode choice : choices) {
            JsonNode content = choice.path("message").path("content");
            if (!content.isTextual() && !content.isNull() && !content.isMissingNode()) {
                return new Attempt(null, PolicyErrorKind.MALFORMED_RESPONSE, "a choice's message content is not text", null);
            }
            List<Double> logprobs = new ArrayList<>();
            for (JsonNode token : choice.path("logprobs").path("content")) {
                logprobs.add(token.path("logprob").asDouble());
            }
            int tokens = choices.size() == 1 ? (int) usage.completionTokens() : logprobs.size();
            candidates.add(new Candidate(content.asText(""), tokens, choice.path("finish_reason").asText(""), logprobs));
        }
        return new Attempt(new Parsed(candidates, usage), null, "", null);
    }

    private ObjectNode body(PolicyRequest request) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", config.model());
        ArrayNode messages = body.putArray("messages");
        for (Message m : request.conversation().messages()) {
            ObjectNode node = messages.addObject();
            node.put("role", m.role().wireName());
            if (m.images().isEmpty()) {
                node.put("content", m.text());
            } else {
                ArrayNode parts = node.putArray("content");
                if (!m.text().isEmpty()) {
                    parts.addObject().put("type", "text").put("text", m.text());
                }
                for (ImageContent image : m.images()) {
                    parts.addObject().put("type", "image_url").putObject("image_url").put("url", image.dataUrl());
                }
            }
        }
        body.put("n", request.n());
        Sampling s = request.sampling();
        putIfSet(body, "temperature", s.temperature());
        putIfSet(body, "top_p", s.topP());
        putIfSet(body, "min_p", s.minP());
        body.put("max_tokens", s.maxTokens());
        if (s.seed() != null) {
            body.put("seed", s.seed());
        }
        if (s.logprobs()) {
            body.put("logprobs", true);
        }
        body.put("stream", false);
        return body;
    }

    private static void putIfSet(ObjectNode body, String key, Double value) {
        if (value != null) {
            body.put(key, value);
        }
    }
}
