package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parity with transformers on the tiny checkpoints written by model/fixtures/make_tiny_models.py. */
class CausalLmParityIT {
  static final Path FIXTURES = Path.of("src/test/resources/dev/renderloop/model");
  static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny", "llama-tiny", "qwen2-tiny-bf16", "llama-tiny-sharded", "qwen3-tiny"})
  void logitsAndGreedyGenerationsMatchTransformers(String name) throws Exception {
    Path dir = FIXTURES.resolve(name);
    JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    try (CausalLm model = CausalLm.load(dir)) {
      assertMatches(model, expected, name);
    }
  }

  /** Checks logits (padding excluded) within {@link #TOLERANCE} and greedy generations exactly. */
  static void assertMatches(CausalLm model, JsonNode expected, String name) {
    double worst = 0;
    int compared = 0;
    for (JsonNode c : expected.get("logits")) {
      long[][] ids = longs(c.get("input_ids"));
      long[][] mask = longs(c.get("attention_mask"));
      float[][][] logits = model.logits(ids, mask);
      JsonNode want = c.get("logits");
      for (int b = 0; b < ids.length; b++) {
        for (int l = 0; l < ids[b].length; l++) {
          if (mask[b][l] == 0) {
            continue;  // padding: transformers' values there depend on its masking details, not on the model
          }
          for (int v = 0; v < logits[b][l].length; v++) {
            worst = Math.max(worst, Math.abs(logits[b][l][v] - want.get(b).get(l).get(v).asDouble()));
            compared++;
          }
        }
      }
    }
    System.out.printf("%s: max abs logit difference %.3g over %d values%n", name, worst, compared);
    assertTrue(compared > 0);
    assertTrue(worst < TOLERANCE, name + ": max abs logit difference " + worst);
    for (JsonNode c : expected.get("generations")) {
      long[][] ids = longs(c.get("input_ids"));
      long[][] mask = longs(c.get("attention_mask"));
      long[][] want = longs(c.get("generated"));
      long[][] got = model.generateGreedy(ids, mask, c.get("max_new_tokens").asInt());
      assertEquals(want.length, got.length);
      for (int b = 0; b < want.length; b++) {
        assertArrayEquals(want[b], got[b], name + " row " + b + " greedy generation");
      }
    }
  }

  static long[][] longs(JsonNode rows) {
    long[][] out = new long[rows.size()][];
    for (int b = 0; b < out.length; b++) {
      JsonNode row = rows.get(b);
      out[b] = new long[row.size()];
      for (int i = 0; i < out[b].length; i++) {
        out[b][i] = row.get(i).asLong();
      }
    }
    return out;
  }
}
