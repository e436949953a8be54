package dev.renderloop.score;

import java.util.List;
import java.util.Objects;

/**
 * What a reward is computed from: the facts about one answer and the metrics already measured on it.
 *
 * @param hasCode     whether the answer held code at all (after extraction)
 * @param codeParses  whether that code parses (syntax flag); irrelevant when {@code hasCode} is false
 * @param formatOk    VinciCoder's format flag: a fenced block with the expected language tag
 * @param rendered    whether the code rendered to a valid image or video
 * @param metrics     the code and visual metrics measured (keys as in {@link RewardSpec}); metrics that
 *                    could not be measured because the render failed may be absent
 */
public record RewardInput(boolean hasCode, boolean codeParses, boolean formatOk, boolean rendered, List<Metric> metrics) {

    public RewardInput {
        metrics = List.copyOf(Objects.requireNonNull(metrics, "metrics"));
    }

    /** The metric with this key, or {@code null}. */
    public Metric metric(String key) {
        for (Metric m : metrics) {
            if (m.name().equals(key)) {
                return m;
            }
        }
        return null;
    }
}
