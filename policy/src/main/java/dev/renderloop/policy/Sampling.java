package dev.renderloop.policy;

/**
 * Sampling parameters sent with a request. {@code null} fields are left to the backend's default.
 *
 * @param temperature 0 for greedy
 * @param topP        nucleus mass, in (0, 1]
 * @param minP        min-p filter (vLLM, SGLang, llama.cpp; ignored by APIs without it), in [0, 1)
 * @param maxTokens   completion length bound, at least 1
 * @param seed        sampling seed for backends that honour one
 * @param logprobs    whether to ask for per-token log-probabilities
 */
public record Sampling(Double temperature, Double topP, Double minP, int maxTokens, Long seed, boolean logprobs) {
    public Sampling {
        if (temperature != null && !(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (minP != null && !(minP >= 0 && minP < 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1), got " + minP);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        }
    }

    /** The ManimTrainer generation settings: temperature 0.9, top_p 0.9, min_p 0.1, 1638 completion tokens. */
    public static Sampling published(long seed) {
        return new Sampling(0.9, 0.9, 0.1, 1638, seed, false);
    }

    /** Greedy decoding with the given length bound. */
    public static Sampling greedy(int maxTokens) {
        return new Sampling(0.0, null, null, maxTokens, null, false);
    }
}
