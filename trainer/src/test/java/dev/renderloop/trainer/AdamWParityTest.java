package dev.renderloop.trainer;

import static dev.renderloop.trainer.Fixtures.flat;
import static dev.renderloop.trainer.Fixtures.floats;
import static dev.renderloop.trainer.Fixtures.floats2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link AdamW}, {@link LinearSchedule} and {@link GradientClipping} together against torch.optim.AdamW with
 * transformers' get_linear_schedule_with_warmup and torch.nn.utils.clip_grad_norm_ (adamw.json: 6 steps, 2 of
 * warm-up, weight decay 0.1, gradients that are clipped on alternate steps).
 */
class AdamWParityTest {
  static float[] read(JsonNode n) {
    return n.get(0).isArray() ? flat(floats2(n)) : floats(n);
  }

  @Test
  void stepsMatchTorch() throws Exception {
    JsonNode f = Fixtures.read("adamw.json");
    AdamW adam = new AdamW(new AdamW.Settings(f.get("beta1").asDouble(), f.get("beta2").asDouble(),
        f.get("eps").asDouble(), f.get("weight_decay").asDouble()));
    LinearSchedule schedule = new LinearSchedule(f.get("lr").asDouble(), f.get("warmup_steps").asInt(),
        f.get("steps").asInt());
    Map<String, float[]> params = new LinkedHashMap<>();
    f.get("initial").fields().forEachRemaining(e -> params.put(e.getKey(), read(e.getValue())));
    int step = 0;
    boolean clipped = false;
    boolean unclipped = false;
    for (JsonNode record : f.get("records")) {
      Map<String, float[]> grads = new LinkedHashMap<>();
      record.get("gradients").fields().forEachRemaining(e -> grads.put(e.getKey(), read(e.getValue())));
      double lr = schedule.rate(step);
      assertEquals(record.get("lr").asDouble(), lr, 1e-12, "learning rate of step " + step);
      double norm = GradientClipping.clipByGlobalNorm(grads.values(), f.get("max_grad_norm").asDouble());
      assertEquals(record.get("grad_norm").asDouble(), norm, 1e-5 * norm, "gradient norm of step " + step);
      clipped |= norm > 1;
      unclipped |= norm < 1;
      adam.step(params, grads, lr);
      final int s = step;
      record.get("params").fields().forEachRemaining(
          e -> assertArrayEquals(read(e.getValue()), params.get(e.getKey()), 1e-6f, e.getKey() + " after step " + s));
      step++;
    }
    assertTrue(clipped && unclipped, "the fixture exercises clipping both ways");
    assertEquals(6, adam.steps());
  }

  @Test
  void stateRoundTripContinuesIdentically() {
    Map<String, float[]> a = new LinkedHashMap<>(Map.of("w", new float[] {1, -2, 3}));
    Map<String, float[]> b = new LinkedHashMap<>(Map.of("w", new float[] {1, -2, 3}));
    AdamW first = new AdamW(AdamW.Settings.defaults());
    Map<String, float[]> g = Map.of("w", new float[] {0.5f, 0.1f, -0.3f});
    first.step(a, g, 1e-2);
    AdamW second = new AdamW(AdamW.Settings.defaults());
    second.step(b, g, 1e-2);
    AdamW restored = new AdamW(AdamW.Settings.defaults());
    restored.restore(second.state());
    first.step(a, g, 1e-2);
    restored.step(b, g, 1e-2);
    assertArrayEquals(a.get("w"), b.get("w"), 0f);
    assertEquals(2, restored.steps());
  }

  @Test
  void badInputsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(1.0, 0.999, 1e-8, 0));
    assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(0.9, 0.999, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new AdamW.Settings(0.9, 0.999, 1e-8, -1));
    AdamW adam = new AdamW(AdamW.Settings.defaults());
    Map<String, float[]> p = Map.of("w", new float[3]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> adam.step(p, Map.of("w", new float[2]), 1e-3));
    assertTrue(e.getMessage().contains("w"), e.getMessage());
    assertEquals(0, adam.steps(), "a refused step changes nothing");
    assertThrows(IllegalArgumentException.class,
        () -> GradientClipping.clipByGlobalNorm(List.of(new float[] {Float.NaN}), 1.0));
    assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(List.of(new float[1]), 0));
  }

  @Test
  void scheduleWarmsUpThenDecaysToZero() {
    LinearSchedule s = LinearSchedule.withWarmupRatio(2e-6, 0.1, 100);
    assertEquals(10, s.warmupSteps());
    assertEquals(0, s.rate(0));
    assertEquals(1e-6, s.rate(5), 1e-18);
    assertEquals(2e-6, s.rate(10), 1e-18);
    assertEquals(0, s.rate(100));
    assertEquals(0, s.rate(150));
    assertThrows(IllegalArgumentException.class, () -> s.rate(-1));
    assertThrows(IllegalArgumentException.class, () -> new LinearSchedule(0, 0, 10));
    assertThrows(IllegalArgumentException.class, () -> new LinearSchedule(1e-3, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> LinearSchedule.withWarmupRatio(1e-3, 1.5, 10));
  }
}
