package dev.renderloop.trainer;

import ai.djl.ndarray.NDArray;
import dev.renderloop.model.CompletionLogProbs;
import dev.renderloop.model.GraphScalar;
import java.util.Objects;

/**
 * The completion-only SFT loss TRL's {@code SFTTrainer} computes ({@code completion_only_loss=True}: labels -100
 * over the prompt, then transformers' causal-LM cross entropy summed and divided by {@code num_items_in_batch},
 * the label tokens of the whole accumulation window). Parity: {@code SftLossParityIT}.
 */
public final class SftLoss {
  private SftLoss() {}

  /**
   * {@code -(sum of completion log-probs) / windowTokens}.
   *
   * @param logProbs the micro-batch's completion log-probs, on the graph (zero over padding)
   * @param windowTokens completion tokens in the accumulation window this micro-batch belongs to (its own tokens
   *     when there is no accumulation), at least 1
   * @return the scalar loss, owned by {@code logProbs}' manager
   */
  public static NDArray compute(CompletionLogProbs logProbs, int windowTokens) {
    Objects.requireNonNull(logProbs, "logProbs");
    if (windowTokens < 1) {
      throw new IllegalArgumentException("windowTokens must be >= 1, got " + windowTokens);
    }
    if (windowTokens < logProbs.tokens()) {
      throw new IllegalArgumentException(
          "windowTokens " + windowTokens + " is smaller than the micro-batch's " + logProbs.tokens() + " tokens");
    }
    return logProbs.values().mul(logProbs.mask()).sum().neg().div(GraphScalar.of(logProbs.values().getManager(), (float) windowTokens));
  }
}
