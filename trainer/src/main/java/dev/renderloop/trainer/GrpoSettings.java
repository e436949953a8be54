package dev.renderloop.trainer;

import dev.renderloop.model.SamplingParams;
import java.util.Objects;

/**
 * A GRPO run's hyperparameters.
 *
 * @param steps generation steps (each samples a batch, scores it and takes {@code iterations} optimizer steps)
 * @param promptsPerStep distinct prompts per generation step
 * @param group completions per prompt (G)
 * @param iterations policy iterations per generation batch (mu; the paper: 4); each is one optimizer step
 * @param loss the loss definition
 * @param scaling how advantages are scaled
 * @param lr peak learning rate of the linear schedule
 * @param warmupRatio share of the optimizer steps spent warming up
 * @param adam AdamW's settings
 * @param maxGradNorm global-norm gradient clipping
 * @param sampling how completions are sampled; its seed is replaced per (step, prompt), derived from {@code seed}
 * @param seed the run's seed: prompt order and every sampling seed derive from it and the step
 * @param checkpointEvery write a checkpoint every this many generation steps (and after the last)
 * @param systemPrompt the system message of every prompt (null: none)
 */
public record GrpoSettings(int steps, int promptsPerStep, int group, int iterations, GrpoLossConfig loss,
    RewardScaling scaling, double lr, double warmupRatio, AdamW.Settings adam, double maxGradNorm,
    SamplingParams sampling, long seed, int checkpointEvery, String systemPrompt) {
  public GrpoSettings {
    Objects.requireNonNull(loss, "loss");
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(adam, "adam");
    Objects.requireNonNull(sampling, "sampling");
    require(steps >= 1, "steps must be >= 1, got " + steps);
    require(promptsPerStep >= 1, "promptsPerStep must be >= 1, got " + promptsPerStep);
    require(group >= 2, "group must be >= 2 (advantages are relative to the group), got " + group);
    require(iterations >= 1, "iterations must be >= 1, got " + iterations);
    require(lr > 0 && Double.isFinite(lr), "lr must be finite and > 0, got " + lr);
    require(warmupRatio >= 0 && warmupRatio <= 1, "warmupRatio must lie in [0, 1], got " + warmupRatio);
    require(maxGradNorm > 0, "maxGradNorm must be > 0, got " + maxGradNorm);
    require(checkpointEvery >= 1, "checkpointEvery must be >= 1, got " + checkpointEvery);
    require(sampling.maxNewTokens() <= loss.maxCompletionLength(),
        "sampling.maxNewTokens " + sampling.maxNewTokens() + " exceeds the loss's maxCompletionLength "
            + loss.maxCompletionLength());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Optimizer steps of the whole run. */
  public int optimizerSteps() {
    return steps * iterations;
  }
}
