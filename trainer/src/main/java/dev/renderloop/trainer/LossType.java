package dev.renderloop.trainer;

/**
 * How {@link GrpoLoss} reduces the per-token losses of a batch to one number, with TRL's names and definitions
 * ({@code GRPOTrainer._compute_loss}, trl 1.13.0). {@code m} is the completion mask, {@code l} the per-token loss,
 * {@code B} the rows of the batch and {@code k} the gradient-accumulation steps.
 */
public enum LossType {
  /** Per-sequence mean, then the batch mean: {@code mean_b(sum_t l m / max(1, sum_t m)) / k}. */
  GRPO("grpo"),
  /** Token-level mean over the batch: {@code sum(l m) / max(1, sum m) / k}. */
  BNPO("bnpo"),
  /** Dr. GRPO: {@code sum(l m) / (B * max_completion_length) / k}, so no length bias. */
  DR_GRPO("dr_grpo"),
  /**
   * Token-level over the whole generation batch: {@code sum(l m) / (max(1, N) * k / s)} with {@code N} the completion
   * tokens of the generation batch and {@code s} the optimizer steps per generation batch.
   */
  DAPO("dapo");

  private final String trlName;

  LossType(String trlName) {
    this.trlName = trlName;
  }

  /** The name TRL's {@code GRPOConfig.loss_type} uses. */
  public String trlName() {
    return trlName;
  }

  /**
   * The loss type TRL calls {@code name}.
   *
   * @throws IllegalArgumentException for any other name, listing the accepted ones
   */
  public static LossType fromTrlName(String name) {
    for (LossType t : values()) {
      if (t.trlName.equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown loss type '" + name + "': expected grpo, bnpo, dr_grpo or dapo");
  }
}
