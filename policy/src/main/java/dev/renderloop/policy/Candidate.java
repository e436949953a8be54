package dev.renderloop.policy;

import java.util.List;

/**
 * One answer of a policy.
 *
 * @param text             the answer text, as the model wrote it
 * @param completionTokens tokens in the answer as the backend counted them (0 when it did not say)
 * @param finishReason     {@code stop}, {@code length}, ... as reported, or empty
 * @param tokenLogprobs    per-token log-probabilities when asked for and given, else empty
 * @param note             provenance from policies without a model (e.g. the defect the oracle seeded), else empty;
 *                         never shown to a model
 */
public record Candidate(String text, int completionTokens, String finishReason, List<Double> tokenLogprobs, String note) {
    public Candidate {
        text = text == null ? "" : text;
        finishReason = finishReason == null ? "" : finishReason;
        tokenLogprobs = List.copyOf(tokenLogprobs == null ? List.of() : tokenLogprobs);
        note = note == null ? "" : note;
    }

    public Candidate(String text, int completionTokens, String finishReason, List<Double> tokenLogprobs) {
        this(text, completionTokens, finishReason, tokenLogprobs, "");
    }

    /** An answer from a policy without a tokenizer: no token counts, no log-probabilities. */
    public static Candidate ofText(String text, String note) {
        return new Candidate(text, 0, "stop", List.of(), note);
    }
}
