package dev.renderloop.trainer;

import java.util.Collection;

/** torch's {@code clip_grad_norm_} over a set of gradients taken together. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Scales every gradient in place by {@code min(1, maxNorm / (norm + 1e-6))}, where {@code norm} is the L2 norm of
   * all gradients together, and returns that norm (before clipping).
   *
   * @param gradients the gradients, modified in place
   * @param maxNorm the largest global norm allowed, > 0
   * @throws IllegalArgumentException when the norm is not finite (a NaN or infinite gradient), so that a broken step
   *     is not silently applied
   */
  public static double clipByGlobalNorm(Collection<float[]> gradients, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm must be > 0, got " + maxNorm);
    }
    double square = 0;
    for (float[] g : gradients) {
      double s = 0;
      for (float v : g) {
        s += (double) v * v;
      }
      float tensorNorm = (float) Math.sqrt(s);  // torch takes each tensor's norm in float, then the norm of the norms
      square += (double) tensorNorm * tensorNorm;
    }
    float norm = (float) Math.sqrt(square);
    if (!Float.isFinite(norm)) {
      throw new IllegalArgumentException("the gradient norm is " + norm + ": a gradient holds NaN or infinity");
    }
    float coefficient = Math.min(1f, (float) (maxNorm / (norm + 1e-6)));
    for (float[] g : gradients) {
      for (int i = 0; i < g.length; i++) {
        g[i] *= coefficient;
      }
    }
    return norm;
  }
}
