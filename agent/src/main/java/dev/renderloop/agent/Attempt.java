package dev.renderloop.agent;

import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.RenderResult;
import dev.renderloop.score.Metric;
import java.util.List;
import java.util.Objects;

/**
 * One request to the policy and what came of it: enough to replay and audit a run.
 *
 * @param round         0 for the first answer (and the doc-grounded regeneration), 1..K for repairs
 * @param step          {@code generate}, {@code doc-regenerate}, {@code repair} or {@code critique}
 * @param prompt        the conversation sent
 * @param answer        the answer text (empty when the policy failed)
 * @param code          the extracted code (empty when none)
 * @param policyError   why the policy gave no answer, or {@code null}
 * @param policyMessage the policy's error message, or empty
 * @param render        the render of {@code code}, or {@code null} when it was not rendered (no code, or a step that does not render)
 * @param scores        metrics of this attempt when a scorer is configured, else empty
 * @param docs          API documentation given in this step (ritl-doc), else empty
 * @param promptTokens  prompt tokens reported by the backend
 * @param completionTokens completion tokens reported by the backend
 * @param policyMillis  wall time of the policy request
 * @param note          provenance from the policy (e.g. the oracle's seeded defect), or the critic's verdict
 */
public record Attempt(int round, String step, Conversation prompt, String answer, ExtractedCode code,
                      PolicyErrorKind policyError, String policyMessage, RenderResult render, List<Metric> scores,
                      List<ApiDoc> docs, long promptTokens, long completionTokens, long policyMillis, String note) {
    public Attempt {
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(prompt, "prompt");
        answer = answer == null ? "" : answer;
        Objects.requireNonNull(code, "code");
        policyMessage = policyMessage == null ? "" : policyMessage;
        scores = List.copyOf(scores == null ? List.of() : scores);
        docs = List.copyOf(docs == null ? List.of() : docs);
        note = note == null ? "" : note;
    }

    /** Whether this attempt's code rendered. */
    public boolean rendered() {
        return render != null && render.ok();
    }
}
