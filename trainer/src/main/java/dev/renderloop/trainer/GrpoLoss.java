package dev.renderloop.trainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.renderloop.model.GraphScalar;
import java.util.Objects;

/**
 * The GRPO family's policy loss on one micro-batch, as TRL's {@code GRPOTrainer._compute_loss} defines it
 * (trl 1.13.0; parity is tested against that method's loss and gradients, {@code GrpoLossParityTest}).
 *
 * <h2>Definition</h2>
 * With {@code logp} the policy's per-token log-probabilities (on the autograd graph), {@code old} those of the
 * policy that sampled the batch, {@code ref} those of the reference model (the adapter disabled) and {@code A}
 * one advantage per row:
 * <pre>
 *   r      = logp - old                        (token level)  or  sum_t(r m) / max(1, sum_t m)  per row (sequence)
 *   c1     = exp(r);  c2 = clamp(c1, 1 - eps, 1 + eps_high)
 *   kl     = exp(ref - logp) - (ref - logp) - 1          (k3), times c1 when biasCorrectedKl
 *   l      = -min(c1 A, c2 A)  +  beta * kl                             (the KL only when beta > 0)
 *   loss   = reduce(l, m)  per {@link LossType}, divided as {@link LossNormaliser} says
 * </pre>
 * When {@code old == logp} (one policy iteration per generation batch), {@code c1 = 1} but its gradient is the
 * policy gradient {@code -A grad logp}, as in TRL, which passes {@code logp.detach()} as {@code old}.
 *
 * <h2>Not implemented</h2>
 * TRL's other loss types (cispo, sapo, vespo, luspo), its {@code delta} two-sided clipping, the entropy mask and
 * bonus, the off-policy mask and vLLM's importance-sampling correction.
 */
public final class GrpoLoss {
  private GrpoLoss() {}

  /**
   * The loss of a micro-batch, as a scalar on the autograd graph of {@code logProbs}, with TRL's logged metrics.
   *
   * @param config loss type, beta, clipping and ratio level
   * @param logProbs {@code [rows, width]} policy log-probs, on the graph; values past a row's completion are ignored
   * @param mask {@code [rows, width]} 1 over completion tokens, 0 over padding
   * @param oldLogProbs {@code [rows, width]} the sampling policy's log-probs (no gradient is taken through them)
   * @param refLogProbs {@code [rows, width]} the reference model's log-probs; may be null only when beta is 0
   * @param advantages one advantage per row
   * @param normaliser accumulation and generation-batch scaling
   * @return the loss (owned by {@code logProbs}'s manager) and the metrics
   * @throws IllegalArgumentException when shapes disagree or reference log-probs are missing for beta > 0
   */
  public static GrpoLossResult compute(GrpoLossConfig config, NDArray logProbs, NDArray mask, NDArray oldLogProbs,
      NDArray refLogProbs, float[] advantages, LossNormaliser normaliser) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(normaliser, "normaliser");
    Shape shape = logProbs.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("logProbs must be [rows, width], got " + shape);
    }
    int rows = (int) shape.get(0);
    requireShape("mask", mask, shape);
    requireShape("oldLogProbs", oldLogProbs, shape);
    if (config.beta() != 0) {
      if (refLogProbs == null) {
        throw new IllegalArgumentException("beta is " + config.beta() + " but no reference log-probs were given");
      }
      requireShape("refLogProbs", refLogProbs, shape);
    }
    if (advantages.length != rows) {
      throw new IllegalArgumentException(advantages.length + " advantages for " + rows + " rows");
    }
    NDManager graph = logProbs.getManager();
    NDArray adv = graph.create(advantages, new Shape(rows, 1));
    NDArray rowTokens = mask.sum(new int[] {1}).maximum(1f);

    NDArray logRatio = logProbs.sub(oldLogProbs);
    NDArray logWeights = config.importanceSampling() == ImportanceSampling.TOKEN
        ? logRatio
        : logRatio.mul(mask).sum(new int[] {1}).div(rowTokens).reshape(rows, 1);
    NDArray coef1 = logWeights.exp();
    NDArray coef2 = coef1.clip(1 - config.epsilon(), 1 + config.epsilonHigh());
    NDArray perToken = coef1.mul(adv).minimum(coef2.mul(adv)).neg();
    double kl = Double.NaN;
    if (config.beta() != 0) {
      NDArray d = refLogProbs.sub(logProbs);
      NDArray perTokenKl = d.exp().sub(d).sub(1f);
      if (config.biasCorrectedKl()) {
        perTokenKl = perTokenKl.mul(coef1);
      }
      perToken = perToken.add(perTokenKl.mul(GraphScalar.of(graph, (float) config.beta())));
      kl = maskedMean(perTokenKl.toFloatArray(), mask.toFloatArray());
    }
    NDArray masked = perToken.mul(mask);
    int k = normaliser.accumulationSteps();
    NDArray loss = switch (config.lossType()) {
      // every number backward reads is a GraphScalar: see there
      case GRPO -> masked.sum(new int[] {1}).div(rowTokens).mean().div(GraphScalar.of(graph, k));
      case BNPO -> masked.sum().div(mask.sum().maximum(1f)).div(GraphScalar.of(graph, k));
      case DR_GRPO -> masked.sum().div(GraphScalar.of(graph, (float) rows * config.maxCompletionLength()))
          .div(GraphScalar.of(graph, k));
      case DAPO -> masked.sum().div(GraphScalar.of(graph,
          Math.max(1f, normaliser.generationBatchTokens()) * k / (float) normaliser.stepsPerGeneration()));
    };

    // TRL's clip metrics: a ratio counts as clipped only where clipping removes its gradient (the sign of A matters)
    float[] c1 = coef1.toFloatArray();
    float[] m = mask.toFloatArray();
    int width = (int) shape.get(1);
    boolean sequence = config.importanceSampling() == ImportanceSampling.SEQUENCE;
    double low = 0;
    double high = 0;
    double count = 0;
    for (int b = 0; b < rows; b++) {
      for (int t = 0; t < (sequence ? 1 : width); t++) {
        double weight = sequence ? 1 : m[b * width + t];
        float c = c1[sequence ? b : b * width + t];
        boolean isLow = c < 1 - config.epsilon() && advantages[b] < 0;
        boolean isHigh = c > 1 + config.epsilonHigh() && advantages[b] > 0;
        low += isLow ? weight : 0;
        high += isHigh ? weight : 0;
        count += weight;
      }
    }
    count = Math.max(1, count);
    return new GrpoLossResult(loss, kl, low / count, high / count, (low + high) / count);
  }

  private static double maskedMean(float[] values, float[] mask) {
    double sum = 0;
    double count = 0;
    for (int i = 0; i < values.length; i++) {
      sum += values[i] * mask[i];
      count += mask[i];
    }
    return sum / Math.max(1, count);
  }

  private static void requireShape(String name, NDArray a, Shape want) {
    Objects.requireNonNull(a, name);
    if (!a.getShape().equals(want)) {
      throw new IllegalArgumentException(name + " has shape " + a.getShape() + ", logProbs " + want);
    }
  }
}
