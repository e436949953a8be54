package dev.renderloop.model;

import java.util.Arrays;
import java.util.BitSet;

/**
 * transformers' sampling logits processors, in {@code generate()}'s order (see {@code _get_logits_processor}):
 * repetition penalty, temperature, top-k, top-p, min-p. Removed tokens become negative infinity, as there.
 */
final class LogitsProcessors {
  private LogitsProcessors() {}

  /** The processed scores for {@code logits}, given the tokens {@code seen} so far (prompt included). */
  static float[] apply(float[] logits, BitSet seen, SamplingParams p) {
    float[] s = logits.clone();
    if (p.repetitionPenalty() != 1.0) {
      float penalty = (float) p.repetitionPenalty();
      for (int t = seen.nextSetBit(0); t >= 0 && t < s.length; t = seen.nextSetBit(t + 1)) {
        s[t] = s[t] < 0 ? s[t] * penalty : s[t] / penalty;
      }
    }
    if (p.temperature() == 0) {
      int best = argMax(s);
      float kept = s[best];
      Arrays.fill(s, Float.NEGATIVE_INFINITY);
      s[best] = kept;
      return s;
    }
    if (p.temperature() != 1.0) {
      float temperature = (float) p.temperature();
      for (int i = 0; i < s.length; i++) {
        s[i] = s[i] / temperature;
      }
    }
    if (p.topK() != 0) {
      topK(s, Math.min(p.topK(), s.length));
    }
    if (p.topP() < 1.0) {
      topP(s, p.topP());
    }
    if (p.minP() > 0.0) {
      minP(s, p.minP());
    }
    return s;
  }

  /** log_softmax(scores) in double; -inf stays -inf. */
  /**
   * Whether {@link #apply} returns scores equal to its input for {@code p} (no penalty, temperature 1, no top-k,
   * top-p or min-p): then the processed log-softmax is the raw one, and a sampler need not compute both.
   */
  static boolean isIdentity(SamplingParams p) {
    return p.repetitionPenalty() == 1.0 && p.temperature() == 1.0 && p.topK() == 0 && p.topP() >= 1.0
        && p.minP() <= 0.0;
  }

  /** {@code logSoftmax(scores)[index]}, bit for bit (the same operations in the same order), without the array. */
  static double logSoftmaxAt(float[] scores, int index) {
    return scores[index] - logSumExp(scores);
  }

  static double[] logSoftmax(float[] scores) {
    return logSoftmax(scores, new double[scores.length]);
  }

  /** {@link #logSoftmax(float[])} written into {@code out} (at least as long as {@code scores}), which it returns. */
  static double[] logSoftmax(float[] scores, double[] out) {
    double log = logSumExp(scores);
    for (int i = 0; i < scores.length; i++) {
      out[i] = scores[i] - log;
    }
    return out;
  }

  /** {@code max + log(sum(exp(v - max)))}, the one normaliser every log-softmax here subtracts. */
  private static double logSumExp(float[] scores) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : scores) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : scores) {
      sum += Math.exp(v - max);
    }
    return max + Math.log(sum);
  }

  /** The arg-max, the lowest index on a tie. */
  static int argMax(float[] s) {
    int best = 0;
    for (int i = 1; i < s.length; i++) {
      if (s[i] > s[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Removes scores below the k-th highest (ties with it are kept, as torch's {@code scores < kth} does). */
  private static void topK(float[] s, int k) {
    float[] sorted = s.clone();
    Arrays.sort(sorted);
    float kth = sorted[sorted.length - k];
    for (int i = 0; i < s.length; i++) {
      if (s[i] < kth) {
        s[i] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  /** Ascending sort, cumulative softmax; removes tokens whose cumulative mass is {@code <= 1 - topP}; keeps the top. */
  private static void topP(float[] s, double topP) {
    Integer[] order = new Integer[s.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(s[a], s[b]));
    double[] logp = logSoftmax(s);
    double cumulative = 0;
    boolean[] remove = new boolean[s.length];
    for (int r = 0; r < order.length - 1; r++) {  // the last (highest) is always kept: min_tokens_to_keep = 1
      cumulative += Math.exp(logp[order[r]]);
      remove[order[r]] = cumulative <= 1 - topP;
    }
    for (int i = 0; i < s.length; i++) {
      if (remove[i]) {
        s[i] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  /** Removes tokens whose probability is below {@code minP} times the highest; keeps the top one. */
  private static void minP(float[] s, double minP) {
    double[] logp = logSoftmax(s);
    int best = argMax(s);
    double threshold = minP * Math.exp(logp[best]);
    for (int i = 0; i < s.length; i++) {
      if (i != best && Math.exp(logp[i]) < threshold) {
        s[i] = Float.NEGATIVE_INFINITY;
      }
    }
  }
}
