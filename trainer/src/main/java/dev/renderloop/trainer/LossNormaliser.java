package dev.renderloop.trainer;

/**
 * What a loss is divided by besides its own batch: gradient accumulation and, for {@link LossType#DAPO}, the
 * generation batch. TRL scales each micro-batch's loss so that the gradients summed over an accumulation window
 * are those of the window's loss.
 *
 * @param accumulationSteps micro-batches whose gradients are summed before one optimizer step, at least 1
 * @param generationBatchTokens completion tokens of the whole generation batch (TRL's {@code num_items_in_batch});
 *     read only by {@link LossType#DAPO}
 * @param stepsPerGeneration optimizer steps taken per generation batch (TRL's {@code steps_per_generation}, by
 *     default equal to the accumulation steps); read only by {@link LossType#DAPO}
 */
public record LossNormaliser(int accumulationSteps, int generationBatchTokens, int stepsPerGeneration) {
  public LossNormaliser {
    if (accumulationSteps < 1) {
      throw new IllegalArgumentException("accumulationSteps must be >= 1, got " + accumulationSteps);
    }
    if (generationBatchTokens < 0) {
      throw new IllegalArgumentException("generationBatchTokens must be >= 0, got " + generationBatchTokens);
    }
    if (stepsPerGeneration < 1) {
      throw new IllegalArgumentException("stepsPerGeneration must be >= 1, got " + stepsPerGeneration);
    }
  }

  /** One micro-batch per optimizer step, one step per generation batch of {@code tokens} completion tokens. */
  public static LossNormaliser single(int tokens) {
    return new LossNormaliser(1, tokens, 1);
  }
}
