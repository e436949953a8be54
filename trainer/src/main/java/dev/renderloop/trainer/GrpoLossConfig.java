package dev.renderloop.trainer;

import java.util.Objects;

/**
 * The settings of {@link GrpoLoss}, with TRL's meanings.
 *
 * @param lossType how per-token losses are reduced
 * @param beta the coefficient of the k3 KL estimate to the reference model; 0 drops the term (and the need for
 *     reference log-probs)
 * @param epsilon the lower clipping range: ratios are clipped to {@code [1 - epsilon, 1 + epsilonHigh]}
 * @param epsilonHigh the upper clipping range (DAPO's asymmetric clipping when it differs from {@code epsilon})
 * @param importanceSampling token-level ratio (GRPO) or sequence-level ratio (GSPO)
 * @param maxCompletionLength the generation limit; {@link LossType#DR_GRPO} divides by rows times this
 * @param biasCorrectedKl multiply the per-token KL by the ratio {@code exp(r)} (TRL 1.13's default
 *     {@code use_bias_correction_kl=True}, DeepSeek-V3.2's unbiased reverse-KL gradient); false gives the plain k3
 *     term of earlier TRL versions and of the ManimTrainer paper
 */
public record GrpoLossConfig(LossType lossType, double beta, double epsilon, double epsilonHigh,
    ImportanceSampling importanceSampling, int maxCompletionLength, boolean biasCorrectedKl) {

  public GrpoLossConfig {
    Objects.requireNonNull(lossType, "lossType");
    Objects.requireNonNull(importanceSampling, "importanceSampling");
    if (!(beta >= 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
    }
    if (!(epsilon > 0 && epsilon < 1)) {
      throw new IllegalArgumentException("epsilon must lie in (0, 1), got " + epsilon);
    }
    if (!(epsilonHigh > 0) || Double.isInfinite(epsilonHigh)) {
      throw new IllegalArgumentException("epsilonHigh must be finite and > 0, got " + epsilonHigh);
    }
    if (maxCompletionLength < 1) {
      throw new IllegalArgumentException("maxCompletionLength must be >= 1, got " + maxCompletionLength);
    }
  }

  /** The ManimTrainer paper's GRPO: dr_grpo, beta 0.005 with the plain k3 KL, eps 0.2 both sides, token ratio. */
  public static GrpoLossConfig manimTrainer(int maxCompletionLength) {
    return new GrpoLossConfig(LossType.DR_GRPO, 0.005, 0.2, 0.2, ImportanceSampling.TOKEN, maxCompletionLength,
        false);
  }

  /** GSPO as TRL documents it: sequence-level ratio, eps 3e-4 / 4e-4, beta 0, grpo reduction. */
  public static GrpoLossConfig gspo(int maxCompletionLength) {
    return new GrpoLossConfig(LossType.GRPO, 0, 3e-4, 4e-4, ImportanceSampling.SEQUENCE, maxCompletionLength,
        true);
  }
}
