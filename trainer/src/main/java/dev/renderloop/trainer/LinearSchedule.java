package dev.renderloop.trainer;

/**
 * transformers' {@code get_linear_schedule_with_warmup}: the learning rate rises linearly from 0 to {@code peak}
 * over {@code warmupSteps}, then falls linearly to 0 at {@code totalSteps}.
 *
 * @param peak the learning rate at the end of warm-up, > 0
 * @param warmupSteps steps of warm-up, >= 0
 * @param totalSteps optimizer steps of the run, >= 1
 */
public record LinearSchedule(double peak, int warmupSteps, int totalSteps) {
  public LinearSchedule {
    if (!(peak > 0) || Double.isInfinite(peak)) {
      throw new IllegalArgumentException("learning rate must be finite and > 0, got " + peak);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
    }
    if (totalSteps < 1) {
      throw new IllegalArgumentException("totalSteps must be >= 1, got " + totalSteps);
    }
  }

  /** A schedule whose warm-up is {@code ratio} of the steps, rounded up as transformers' {@code warmup_ratio} is. */
  public static LinearSchedule withWarmupRatio(double peak, double ratio, int totalSteps) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("warm-up ratio must lie in [0, 1], got " + ratio);
    }
    return new LinearSchedule(peak, (int) Math.ceil(ratio * totalSteps), totalSteps);
  }

  /** The learning rate of optimizer step {@code step} (0-based: the first step uses {@code rate(0)}). */
  public double rate(int step) {
    if (step < 0) {
      throw new IllegalArgumentException("step must be >= 0, got " + step);
    }
    double factor = step < warmupSteps
        ? (double) step / Math.max(1, warmupSteps)
        : Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    return peak * factor;
  }
}
