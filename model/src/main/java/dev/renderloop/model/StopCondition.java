package dev.renderloop.model;

/**
 * Decides, after each token of a sample, whether the sample is finished (used for stop strings, which need the
 * decoded text). Called by {@link CausalLm#sample(long[], SamplingParams, int, StopCondition)} on its own thread,
 * once per unfinished sample and step.
 */
@FunctionalInterface
public interface StopCondition {
  /** Never stops (EOS and the token limit still apply). */
  StopCondition NEVER = (sample, tokens) -> false;

  /**
   * Whether sample {@code sample} stops after {@code tokens}, its tokens so far (a copy, the newest last).
   */
  boolean stop(int sample, long[] tokens);
}
