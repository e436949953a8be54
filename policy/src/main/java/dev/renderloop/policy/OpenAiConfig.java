package dev.renderloop.policy;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an OpenAI-compatible chat-completions backend (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).
 *
 * @param baseUrl        e.g. {@code http://localhost:8000/v1}; {@code /chat/completions} is appended
 * @param model          the model name the server knows
 * @param apiKeyEnv      name of the environment variable holding the API key, or {@code null} for none
 *                       (the key itself never appears in configuration, logs or run records)
 * @param maxConcurrency requests in flight at once from this client, at least 1
 * @param timeout        per-request timeout
 * @param maxRetries     retries after the first attempt for 429, 5xx, timeouts and connection errors
 * @param initialBackoff first backoff; doubled per retry (with jitter), or the server's Retry-After when given
 */
public record OpenAiConfig(URI baseUrl, String model, String apiKeyEnv, int maxConcurrency, Duration timeout,
                           int maxRetries, Duration initialBackoff) {
    public OpenAiConfig {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        String scheme = baseUrl.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("base URL must be http or https: " + baseUrl);
        }
        if (model.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (maxConcurrency < 1 || maxRetries < 0) {
            throw new IllegalArgumentException("maxConcurrency must be >= 1 and maxRetries >= 0");
        }
    }

    /** Defaults: no key, 8 requests at once, 300 s timeout, 4 retries starting at 1 s. */
    public static OpenAiConfig of(URI baseUrl, String model) {
        return new OpenAiConfig(baseUrl, model, null, 8, Duration.ofSeconds(300), 4, Duration.ofSeconds(1));
    }

    public OpenAiConfig withApiKeyEnv(String env) {
        return new OpenAiConfig(baseUrl, model, env, maxConcurrency, timeout, maxRetries, initialBackoff);
    }

    public OpenAiConfig withLimits(int concurrency, Duration requestTimeout, int retries, Duration backoff) {
        return new OpenAiConfig(baseUrl, model, apiKeyEnv, concurrency, requestTimeout, retries, backoff);
    }

    /** The chat-completions endpoint. */
    public URI endpoint() {
        String base = baseUrl.toString();
        return URI.create(base.endsWith("/") ? base + "chat/completions" : base + "/chat/completions");
    }
}
