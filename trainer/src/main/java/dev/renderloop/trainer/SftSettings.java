package dev.renderloop.trainer;

/**
 * An SFT run's hyperparameters.
 *
 * @param steps optimizer steps
 * @param batchSize examples per micro-batch
 * @param accumulation micro-batches per optimizer step
 * @param lr peak learning rate (paper: 2e-6)
 * @param warmupRatio share of the steps spent warming up (paper: 0.1)
 * @param adam AdamW's settings
 * @param maxGradNorm global-norm clipping
 * @param maxLength the most prompt + completion tokens (paper: 2048); longer completions are cut, and an example
 *     whose prompt alone reaches it is dropped (counted in the run's provenance)
 * @param validationFraction share of the training data held out for validation loss (never a test split)
 * @param evalEvery validation loss every this many steps (and after the last)
 * @param seed order of the data, the held-out part and dropout
 * @param checkpointEvery checkpoint every this many steps (and after the last)
 */
public record SftSettings(int steps, int batchSize, int accumulation, double lr, double warmupRatio,
    AdamW.Settings adam, double maxGradNorm, int maxLength, double validationFraction, int evalEvery, long seed,
    int checkpointEvery) {
  public SftSettings {
    if (steps < 1 || batchSize < 1 || accumulation < 1 || evalEvery < 1 || checkpointEvery < 1) {
      throw new IllegalArgumentException("steps, batchSize, accumulation, evalEvery and checkpointEvery must be >= 1");
    }
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("lr must be finite and > 0, got " + lr);
    }
    if (!(warmupRatio >= 0 && warmupRatio <= 1)) {
      throw new IllegalArgumentException("warmupRatio must lie in [0, 1], got " + warmupRatio);
    }
    if (!(validationFraction >= 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("validationFraction must lie in [0, 1), got " + validationFraction);
    }
    if (maxLength < 2) {
      throw new IllegalArgumentException("maxLength must be >= 2, got " + maxLength);
    }
    if (!(maxGradNorm > 0)) {
      throw new IllegalArgumentException("maxGradNorm must be > 0, got " + maxGradNorm);
    }
  }
}
