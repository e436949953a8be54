package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

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
}
