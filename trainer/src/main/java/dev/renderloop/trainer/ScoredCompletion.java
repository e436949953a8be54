package dev.renderloop.trainer;

import java.util.Map;

/**
 * One completion's reward.
 *
 * @param reward the total reward; NaN when it could not be computed (an unavailable metric), which
 *     {@link GroupAdvantages} leaves out of its group's statistics and gives advantage 0
 * @param components the reward's parts and the metrics it was computed from, by name (unavailable ones left out)
 * @param rendered whether the extracted code rendered within the deadline
 * @param renderNanos time spent rendering this completion (0 when nothing was rendered)
 * @param scoreNanos time spent scoring it
 */
public record ScoredCompletion(double reward, Map<String, Double> components, boolean rendered, long renderNanos,
    long scoreNanos) {
  public ScoredCompletion {
    components = Map.copyOf(components);
  }
}
