package dev.renderloop.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GRPO learns, end to end on the CPU: {@link ColourToy} (a random tiny chat model, the real SVG renderer and
 * reference scorer, a real reward spec) trained for 30 steps; the mean reward of the last five steps must exceed
 * that of the first five by a clear margin. The run's metrics.jsonl and final adapter must exist.
 */
class GrpoLearningIT {
  @TempDir
  Path dir;

  @Test
  void meanRewardRises() throws Exception {
    Path run = dir.resolve("run");
    List<Map<String, Object>> m = ColourToy.train(run, 30, 10, false, System.out);
    double first = mean(m.subList(0, 5));
    double last = mean(m.subList(m.size() - 5, m.size()));
    System.out.printf("mean reward: first five steps %.3f, last five %.3f%n", first, last);
    assertTrue(last > first + 0.15, "reward did not rise: " + first + " -> " + last);
    assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_model.safetensors")));
    assertTrue(Files.readAllLines(run.resolve("metrics.jsonl")).size() == 30);
    // the written adapter loads as --adapter does (CausalLm.load(model, adapter)) and changes the logits
    try (dev.renderloop.model.CausalLm base = dev.renderloop.model.CausalLm.load(Fixtures.MODEL);
        dev.renderloop.model.CausalLm trained = dev.renderloop.model.CausalLm.load(Fixtures.MODEL,
            run.resolve("adapter"))) {
      long[][] ids = {{5, 17, 42}};
      long[][] mask = {{1, 1, 1}};
      float[] a = base.logits(ids, mask)[0][2];
      float[] b = trained.logits(ids, mask)[0][2];
      double diff = 0;
      for (int i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
      }
      assertTrue(diff > 1e-3, "the trained adapter changes the logits (max diff " + diff + ")");
    }
  }

  static double mean(List<Map<String, Object>> rows) {
    return rows.stream().mapToDouble(r -> ((Number) r.get("reward_mean")).doubleValue()).average().orElseThrow();
  }
}
