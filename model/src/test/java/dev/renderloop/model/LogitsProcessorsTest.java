package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parity with transformers' logits processors on the cases written by model/fixtures/make_sampling_fixtures.py. */
class LogitsProcessorsTest {
  static final Path CASES = Path.of("src/test/resources/dev/renderloop/model/logits-processors.json");

  @Test
  void processedScoresMatchTransformers() throws Exception {
    JsonNode cases = new ObjectMapper().readTree(CASES.toFile()).get("cases");
    double worst = 0;
    int compared = 0;
    int removed = 0;
    for (JsonNode c : cases) {
      JsonNode p = c.get("params");
      SamplingParams params = new SamplingParams(p.get("temperature").asDouble(), p.get("top_k").asInt(),
          p.get("top_p").asDouble(), p.get("min_p").asDouble(), p.get("repetition_penalty").asDouble(), 1,
          Set.of(), 0);
      float[] logits = new float[c.get("logits").size()];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = (float) c.get("logits").get(i).asDouble();
      }
      BitSet seen = new BitSet();
      c.get("seen").forEach(t -> seen.set(t.asInt()));
      float[] got = LogitsProcessors.apply(logits, seen, params);
      JsonNode want = c.get("processed");
      assertEquals(want.size(), got.length);
      for (int i = 0; i < got.length; i++) {
        if (want.get(i).isNull()) {
          assertEquals(Float.NEGATIVE_INFINITY, got[i], p + ": token " + i + " should be removed");
          removed++;
        } else {
          assertTrue(Float.isFinite(got[i]), p + ": token " + i + " should be kept");
          worst = Math.max(worst, Math.abs(got[i] - want.get(i).asDouble()));
          compared++;
        }
      }
    }
    System.out.printf("logits processors: max abs difference %.3g over %d kept values, %d removed, %d cases%n",
        worst, compared, removed, cases.size());
    assertTrue(compared > 0 && removed > 0);
    assertTrue(worst < 1e-5, "max abs difference " + worst);
  }

  @Test
  void temperatureZeroKeepsOnlyTheFirstArgMaxAfterThePenalty() {
    float[] logits = {1f, 3f, 3f, 2.5f};
    BitSet seen = new BitSet();
    seen.set(1);
    SamplingParams greedy = SamplingParams.greedy(1, Set.of()).withRepetitionPenalty(1.5);
    float[] got = LogitsProcessors.apply(logits, seen, greedy);
    // token 1 drops to 2, so the first arg-max is token 2
    assertEquals(Float.NEGATIVE_INFINITY, got[0]);
    assertEquals(Float.NEGATIVE_INFINITY, got[1]);
    assertEquals(3f, got[2]);
    assertEquals(Float.NEGATIVE_INFINITY, got[3]);
  }
  /** The sampler skips {@code apply} and the raw log-softmax exactly when they could not change a value. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void identityParamsLeaveScoresAsTheyAre(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] logits = randomScores(random, 1 + random.nextInt(300));
    BitSet seen = new BitSet();
    for (int i = 0; i < logits.length; i += 3) {
      seen.set(i);
    }
    SamplingParams plain = new SamplingParams(1.0, 0, 1.0, 0.0, 1.0, 8, Set.of(), seed);
    assertTrue(LogitsProcessors.isIdentity(plain));
    assertArrayEquals(logits, LogitsProcessors.apply(logits, seen, plain));
    for (SamplingParams changing : new SamplingParams[] {plain.withRepetitionPenalty(1.1),
        new SamplingParams(0.7, 0, 1.0, 0.0, 1.0, 8, Set.of(), seed), new SamplingParams(0.0, 0, 1.0, 0.0, 1.0, 8, Set.of(), seed),
        new SamplingParams(1.0, 5, 1.0, 0.0, 1.0, 8, Set.of(), seed), new SamplingParams(1.0, 0, 0.9, 0.0, 1.0, 8, Set.of(), seed),
        new SamplingParams(1.0, 0, 1.0, 0.05, 1.0, 8, Set.of(), seed)}) {
      assertFalse(LogitsProcessors.isIdentity(changing), changing.toString());
    }
  }

  /** The one-element log-softmax and the one into a reused array are the full one, bit for bit. */
  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13, 14, 15, 16})
  void logSoftmaxVariantsAreBitIdentical(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] scores = randomScores(random, 1 + random.nextInt(2000));
    double[] full = LogitsProcessors.logSoftmax(scores);
    double[] reused = new double[scores.length];
    Arrays.fill(reused, 42.0);  // stale values from a previous row must all be overwritten
    assertArrayEquals(full, LogitsProcessors.logSoftmax(scores, reused));
    for (int i = 0; i < scores.length; i++) {
      assertEquals(Double.doubleToRawLongBits(full[i]), Double.doubleToRawLongBits(LogitsProcessors.logSoftmaxAt(scores, i)),
          "index " + i);
    }
  }

  /** Scores of the kind a sampler sees: a wide range, and some filtered to -inf. */
  private static float[] randomScores(SplittableRandom random, int n) {
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      s[i] = random.nextInt(10) == 0 && i > 0 ? Float.NEGATIVE_INFINITY : (float) (random.nextGaussian() * 8);
    }
    return s;
  }
}
