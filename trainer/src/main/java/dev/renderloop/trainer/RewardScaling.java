package dev.renderloop.trainer;

/** Whether and by which standard deviation {@link GroupAdvantages} divides the centred rewards (TRL's {@code scale_rewards}). */
public enum RewardScaling {
  /** Divide by the group's standard deviation (+ 1e-4): GRPO as published. */
  GROUP,
  /** Divide by the standard deviation of the whole batch (+ 1e-4). */
  BATCH,
  /** Mean-centre only (Dr. GRPO's recommendation; the difficulty bias of the std is avoided). */
  NONE
}
