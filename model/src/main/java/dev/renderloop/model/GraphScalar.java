package dev.renderloop.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Scalar operands for arrays that autograd will differentiate. DJL's {@code NDArray.mul(Number)} (and {@code div},
 * {@code minimum}, ... with a number) makes the number a tensor over a direct buffer ({@code torch::from_blob}, no
 * copy), runs the op, and closes that array at once. PyTorch's graph keeps the scalar tensor for the backward pass
 * (d(x * c)/dx reads c), but nothing keeps the buffer: once the collector frees it, backward reads freed memory.
 * Seen before the fix: one GRPO parity case gave LoRA gradients of the wrong size in a full test run (global norm
 * 0.062 instead of 0.914) and a GrpoLearningIT run drifted off its seeded course; forcing a GC between forward and
 * backward makes every case wrong (GrpoLoraGradientParityIT and SftLossParityIT do that, and pass only with this). A scalar made here stays attached to {@code manager}, so its buffer lives until the
 * manager (whose arrays the graph is built from) closes, after backward.
 */
public final class GraphScalar {
  private GraphScalar() {
  }

  /**
   * {@code value} as a float32 scalar array attached to {@code manager}; never close it before the backward pass
   * of any graph it is used in (closing the manager does it).
   */
  public static NDArray of(NDManager manager, float value) {
    return manager.create(value);
  }
}
