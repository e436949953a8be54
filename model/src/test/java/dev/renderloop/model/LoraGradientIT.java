package dev.renderloop.model;

import static dev.renderloop.model.CausalLmParityIT.FIXTURES;
import static dev.renderloop.model.CausalLmParityIT.longs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Gradients of the LoRA weights through {@link CausalLm#completionLogProbs}, against PEFT's (gradients.json of
 * qwen2-tiny-lora, written by model/fixtures/make_lora_fixtures.py): loss = -(sum of completion log-probs) / tokens.
 */
class LoraGradientIT {
  /** Gradients are compared relative to the largest gradient (about 1.7 here): |diff| <= 1e-4 * max(1, max|g|). */
  static final double RELATIVE_TOLERANCE = 1e-4;

  JsonNode expected;
  long[][] prompts;
  long[][] completions;

  @BeforeEach
  void readFixture() throws Exception {
    expected = new ObjectMapper().readTree(FIXTURES.resolve("qwen2-tiny-lora/gradients.json").toFile());
    prompts = longs(expected.get("prompts"));
    completions = longs(expected.get("completions"));
  }

  /** One forward and backward pass; returns the loss. */
  float step(CausalLm model, long seed) {
    try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      CompletionLogProbs logProbs = model.completionLogProbs(owner, prompts, completions, seed);
      NDArray loss = logProbs.values().sum().neg().div(logProbs.tokens());
      collector.backward(loss);
      return loss.getFloat();
    }
  }

  static Map<String, float[]> gradients(LoraAdapter adapter) {
    Map<String, float[]> out = new TreeMap<>();
    for (Map.Entry<String, NDArray> e : adapter.parameters().entrySet()) {
      try (NDArray g = e.getValue().getGradient()) {
        out.put(e.getKey(), g.toFloatArray());
      }
    }
    return out;
  }

  @Test
  void logProbsLossAndGradientsMatchPeft() throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen2-tiny"), FIXTURES.resolve("qwen2-tiny-lora"))) {
      LoraAdapter adapter = model.adapter().orElseThrow();
      adapter.setTrainable(true);
      float[][] inference = model.logProbs(prompts, completions);
      float loss;
      float[] values;
      try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
          GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        CompletionLogProbs logProbs = model.completionLogProbs(owner, prompts, completions, 0);
        assertEquals(7, logProbs.tokens());
        values = logProbs.values().toFloatArray();
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 0}, logProbs.mask().toFloatArray());
        NDArray lossArray = logProbs.values().sum().neg().div(logProbs.tokens());
        collector.backward(lossArray);
        loss = lossArray.getFloat();
      }
      JsonNode want = expected.get("logprobs");
      int width = 4;
      for (int b = 0; b < want.size(); b++) {
        for (int j = 0; j < want.get(b).size(); j++) {
          assertEquals(want.get(b).get(j).asDouble(), values[b * width + j], 1e-4, "row " + b + " token " + j);
          assertEquals(inference[b][j], values[b * width + j], 1e-6, "graph and inference log-probs agree");
        }
      }
      assertEquals(0f, values[width + 3], 0f, "padding contributes nothing");
      assertEquals(expected.get("loss").asDouble(), loss, 1e-5);

      Map<String, float[]> got = gradients(adapter);
      JsonNode wantGradients = expected.get("gradients");
      assertEquals(wantGradients.size(), got.size());
      double scale = Math.max(1, expected.get("max_abs_gradient").asDouble());
      double worst = 0;
      int compared = 0;
      for (Map.Entry<String, float[]> e : got.entrySet()) {
        JsonNode w = wantGradients.get(e.getKey());
        assertTrue(w != null, "PEFT has no gradient for " + e.getKey());
        assertEquals(w.get("values").size(), e.getValue().length, e.getKey());
        for (int i = 0; i < e.getValue().length; i++) {
          worst = Math.max(worst, Math.abs(e.getValue()[i] - w.get("values").get(i).asDouble()));
          compared++;
        }
      }
      System.out.printf("qwen2-tiny-lora: max abs gradient difference %.3g over %d values (max |gradient| %.3g)%n",
          worst, compared, scale);
      assertTrue(worst <= RELATIVE_TOLERANCE * scale, "max abs gradient difference " + worst);
    }
  }

  @Test
  void gradientsAccumulateUntilZeroed() throws Exception {
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen2-tiny"), FIXTURES.resolve("qwen2-tiny-lora"))) {
      LoraAdapter adapter = model.adapter().orElseThrow();
      adapter.setTrainable(true);
      float first = step(model, 0);
      Map<String, float[]> once = gradients(adapter);
      assertTrue(once.values().stream().anyMatch(g -> Arrays.stream(toDoubles(g)).anyMatch(x -> x != 0)));
      assertEquals(first, step(model, 0));
      Map<String, float[]> twice = gradients(adapter);
      for (String key : once.keySet()) {
        for (int i = 0; i < once.get(key).length; i++) {
          assertEquals(2 * once.get(key)[i], twice.get(key)[i], 1e-6 + 1e-5 * Math.abs(once.get(key)[i]), key);
        }
      }
      adapter.zeroGradients();
      for (float[] g : gradients(adapter).values()) {
        assertArrayEquals(new float[g.length], g);
      }
      step(model, 0);
      Map<String, float[]> again = gradients(adapter);
      for (String key : once.keySet()) {
        assertArrayEquals(once.get(key), again.get(key), key);
      }
    }
  }

  @Test
  void dropoutActsOnlyInTrainingPassesAndFollowsTheSeed() throws Exception {
    // llama-tiny-lora has lora_dropout 0.1
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("llama-tiny"), FIXTURES.resolve("llama-tiny-lora"));
        NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      float[][] inference = model.logProbs(prompts, completions);
      assertArrayEquals(inference[0], model.logProbs(prompts, completions)[0]);
      float[] seeded = model.completionLogProbs(owner, prompts, completions, 7).values().toFloatArray();
      float[] same = model.completionLogProbs(owner, prompts, completions, 7).values().toFloatArray();
      float[] other = model.completionLogProbs(owner, prompts, completions, 8).values().toFloatArray();
      assertArrayEquals(seeded, same);
      assertFalse(Arrays.equals(seeded, other));
      double moved = 0;
      for (int j = 0; j < inference[0].length; j++) {
        moved = Math.max(moved, Math.abs(inference[0][j] - seeded[j]));
      }
      assertTrue(moved > 1e-4, "dropout should change a training pass, moved " + moved);
    }
  }

  static double[] toDoubles(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }
}
