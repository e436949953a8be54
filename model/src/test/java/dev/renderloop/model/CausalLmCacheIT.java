package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The KV-cached decoder must choose what a full forward pass over the whole sequence chooses, step by step. */
class CausalLmCacheIT {
  @Test
  void cachedGreedyEqualsUncachedRecomputation() throws Exception {
    Random random = new Random(11);
    try (CausalLm lm = CausalLm.load(CausalLmParityIT.FIXTURES.resolve("llama-tiny"))) {
      int vocab = lm.config().vocabSize();
      // two rows of different lengths, left-padded with id 0
      long[][] ids = {{0, 0, 0, 1 + random.nextInt(vocab - 1), 3}, new long[5]};
      long[][] mask = {{0, 0, 0, 1, 1}, {1, 1, 1, 1, 1}};
      for (int i = 0; i < 5; i++) {
        ids[1][i] = random.nextInt(vocab);
      }
      int steps = 10;
      long[][] cached = lm.generateGreedy(ids, mask, steps);
      long[][] seq = ids;
      long[][] seqMask = mask;
      long[][] uncached = new long[2][steps];
      for (int t = 0; t < steps; t++) {
        float[][][] logits = lm.logits(seq, seqMask);
        long[][] grown = new long[2][];
        long[][] grownMask = new long[2][];
        for (int b = 0; b < 2; b++) {
          float[] last = logits[b][seq[b].length - 1];
          int best = 0;
          for (int v = 1; v < last.length; v++) {
            best = last[v] > last[best] ? v : best;
          }
          uncached[b][t] = best;
          grown[b] = Arrays.copyOf(seq[b], seq[b].length + 1);
          grown[b][seq[b].length] = best;
          grownMask[b] = Arrays.copyOf(seqMask[b], seqMask[b].length + 1);
          grownMask[b][seqMask[b].length] = 1;
        }
        seq = grown;
        seqMask = grownMask;
      }
      for (int b = 0; b < 2; b++) {
        assertArrayEquals(uncached[b], cached[b], "row " + b);
      }
    }
  }
}
