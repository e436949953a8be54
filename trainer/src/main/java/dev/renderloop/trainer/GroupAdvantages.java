package dev.renderloop.trainer;

import java.util.Objects;

/**
 * Group-relative advantages, as TRL's {@code GRPOTrainer} computes them from the summed rewards
 * ({@code multi_objective_aggregation="sum_then_normalize"}, trl 1.13.0): each reward minus its group's mean,
 * divided by {@code std + 1e-4} unless the scaling is {@link RewardScaling#NONE}. The standard deviation is the
 * unbiased one ({@code torch.std}'s, through trl's {@code nanstd}). A NaN reward (an unscorable completion) is
 * left out of the means and deviations and gets advantage 0. Arithmetic is in {@code float}, as torch's.
 */
public final class GroupAdvantages {
  private GroupAdvantages() {}

  /**
   * @param rewards the batch's rewards, group after group (completions {@code g*group .. g*group+group-1} share a
   *     prompt)
   * @param group completions per prompt, at least 1; the batch must hold whole groups
   * @param scaling which standard deviation divides the centred rewards, if any
   * @return one advantage per reward
   * @throws IllegalArgumentException when the batch is empty or not a whole number of groups
   */
  public static float[] compute(float[] rewards, int group, RewardScaling scaling) {
    Objects.requireNonNull(rewards, "rewards");
    Objects.requireNonNull(scaling, "scaling");
    if (group < 1) {
      throw new IllegalArgumentException("group must be >= 1, got " + group);
    }
    if (rewards.length == 0 || rewards.length % group != 0) {
      throw new IllegalArgumentException(
          rewards.length + " rewards are not a whole number of groups of " + group);
    }
    float[] out = new float[rewards.length];
    float batchStd = scaling == RewardScaling.BATCH ? (rewards.length > 1 ? std(rewards, 0, rewards.length) : 0f) : 0f;
    for (int start = 0; start < rewards.length; start += group) {
      float mean = mean(rewards, start, start + group);
      float std = switch (scaling) {
        case GROUP, NONE -> group > 1 ? std(rewards, start, start + group) : 0f;
        case BATCH -> batchStd;
      };
      for (int i = start; i < start + group; i++) {
        float a = rewards[i] - mean;
        if (scaling != RewardScaling.NONE) {
          a = a / (std + 1e-4f);
        }
        out[i] = Float.isNaN(a) ? 0f : a;
      }
    }
    return out;
  }

  private static float mean(float[] x, int from, int to) {
    float sum = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
      if (!Float.isNaN(x[i])) {
        sum += x[i];
        n++;
      }
    }
    return n == 0 ? Float.NaN : sum / n;
  }

  /** trl.trainer.utils.nanstd: sqrt(nanmean((x - nanmean x)^2) * n / (n - 1)). */
  private static float std(float[] x, int from, int to) {
    float mean = mean(x, from, to);
    float sum = 0;
    int n = 0;
    for (int i = from; i < to; i++) {
      if (!Float.isNaN(x[i])) {
        float d = x[i] - mean;
        sum += d * d;
        n++;
      }
    }
    if (n == 0) {
      return Float.NaN;
    }
    float variance = sum / n;
    return (float) Math.sqrt(variance * ((float) n / (n - 1)));
  }
}
