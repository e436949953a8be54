package dev.renderloop.trainer;

/** Where {@link GrpoLoss} takes the policy/old-policy ratio (TRL's {@code importance_sampling_level}). */
public enum ImportanceSampling {
  /** One ratio per token: {@code exp(logp - old_logp)} (GRPO). */
  TOKEN,
  /**
   * One ratio per sequence: {@code exp(mean over the completion of (logp - old_logp))} (GSPO), clipped and
   * applied to every token of the sequence.
   */
  SEQUENCE
}
