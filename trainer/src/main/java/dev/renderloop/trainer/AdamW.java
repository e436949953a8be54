package dev.renderloop.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Adam with decoupled weight decay, computing what {@code torch.optim.AdamW} (single-tensor path, no amsgrad)
 * computes, in {@code float}: for each parameter {@code p} with gradient {@code g} at step {@code t} (1-based)
 * <pre>
 *   p *= 1 - lr * wd
 *   m  = m + (1 - b1) (g - m);          v = b2 v + (1 - b2) g^2
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 * Parity with torch over several steps with a schedule and clipping: {@code AdamWParityTest}. The moments live
 * here, keyed by parameter name, so that a checkpoint can save and restore them ({@link #state}, {@link #restore}).
 * Not thread-safe.
 */
public final class AdamW {
  /**
   * The hyperparameters.
   *
   * @param beta1 first-moment decay in [0, 1)
   * @param beta2 second-moment decay in [0, 1)
   * @param eps added to the denominator, > 0
   * @param weightDecay decoupled weight decay, >= 0
   */
  public record Settings(double beta1, double beta2, double eps, double weightDecay) {
    public Settings {
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("betas must lie in [0, 1), got " + beta1 + ", " + beta2);
      }
      if (!(eps > 0)) {
        throw new IllegalArgumentException("eps must be > 0, got " + eps);
      }
      if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
        throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
      }
    }

    /** torch's defaults with transformers' Trainer weight decay 0: betas (0.9, 0.999), eps 1e-8. */
    public static Settings defaults() {
      return new Settings(0.9, 0.999, 1e-8, 0.0);
    }
  }

  /**
   * The optimizer's state for a checkpoint: the step count and both moments of every parameter.
   *
   * @param step optimizer steps taken
   * @param firstMoments per parameter name
   * @param secondMoments per parameter name
   */
  public record State(int step, Map<String, float[]> firstMoments, Map<String, float[]> secondMoments) {}

  private final Settings settings;
  private final Map<String, float[]> m = new LinkedHashMap<>();
  private final Map<String, float[]> v = new LinkedHashMap<>();
  private int step;

  public AdamW(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public Settings settings() {
    return settings;
  }

  /** Optimizer steps taken so far. */
  public int steps() {
    return step;
  }

  /**
   * One step: updates every parameter in place from its gradient.
   *
   * @param parameters by name; the same names (and sizes) at every step
   * @param gradients by name, one per parameter, same sizes
   * @param lr this step's learning rate
   * @throws IllegalArgumentException when a gradient is missing or its size differs from the parameter's
   */
  public void step(Map<String, float[]> parameters, Map<String, float[]> gradients, double lr) {
    for (Map.Entry<String, float[]> e : parameters.entrySet()) {
      float[] g = gradients.get(e.getKey());
      if (g == null || g.length != e.getValue().length) {
        throw new IllegalArgumentException("no gradient of size " + e.getValue().length + " for " + e.getKey());
      }
    }
    step++;
    float oneMinusBeta1 = (float) (1 - settings.beta1());
    float beta2 = (float) settings.beta2();
    float oneMinusBeta2 = (float) (1 - settings.beta2());
    float decay = (float) (1 - lr * settings.weightDecay());
    double biasCorrection1 = 1 - Math.pow(settings.beta1(), step);
    double biasCorrection2 = 1 - Math.pow(settings.beta2(), step);
    float stepSize = (float) (lr / biasCorrection1);
    float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
    float eps = (float) settings.eps();
    for (Map.Entry<String, float[]> e : parameters.entrySet()) {
      float[] p = e.getValue();
      float[] g = gradients.get(e.getKey());
      float[] mm = m.computeIfAbsent(e.getKey(), k -> new float[p.length]);
      float[] vv = v.computeIfAbsent(e.getKey(), k -> new float[p.length]);
      for (int i = 0; i < p.length; i++) {
        p[i] *= decay;
        mm[i] = mm[i] + oneMinusBeta1 * (g[i] - mm[i]);
        vv[i] = vv[i] * beta2 + oneMinusBeta2 * g[i] * g[i];
        float denom = (float) Math.sqrt(vv[i]) / biasCorrection2Sqrt + eps;
        p[i] = p[i] - stepSize * (mm[i] / denom);
      }
    }
  }

  /** A deep copy of the state, for a checkpoint. */
  public State state() {
    Map<String, float[]> first = new LinkedHashMap<>();
    Map<String, float[]> second = new LinkedHashMap<>();
    m.forEach((k, a) -> first.put(k, a.clone()));
    v.forEach((k, a) -> second.put(k, a.clone()));
    return new State(step, first, second);
  }

  /** Replaces the state with a copy of {@code state} (from {@link #state} of an optimizer with equal settings). */
  public void restore(State state) {
    if (!state.firstMoments().keySet().equals(state.secondMoments().keySet())) {
      throw new IllegalArgumentException("first and second moments name different parameters");
    }
    m.clear();
    v.clear();
    state.firstMoments().forEach((k, a) -> m.put(k, a.clone()));
    state.secondMoments().forEach((k, a) -> v.put(k, a.clone()));
    step = state.step();
  }
}
