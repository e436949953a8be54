package dev.renderloop.model;

import static dev.renderloop.model.CausalLmParityIT.FIXTURES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter written by this project, loaded by PEFT itself (model/fixtures/peft_logits.py), gives the logits
 * this project computes with it. Runs when {@code RENDERLOOP_PEFT_PYTHON} names a Python with torch,
 * transformers and peft (see model/fixtures/README.md); reported as skipped otherwise.
 */
class LoraPeftRoundTripIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PYTHON = System.getenv("RENDERLOOP_PEFT_PYTHON");

  @Test
  void peftReadsAnAdapterWrittenHereAsThisProjectDoes(@TempDir Path out) throws Exception {
    assumeTrue(PYTHON != null && !PYTHON.isBlank(), "RENDERLOOP_PEFT_PYTHON is not set (a Python with peft)");
    Path base = FIXTURES.resolve("qwen2-tiny");
    LoraConfig config = new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "o_proj", "up_proj", "down_proj"), false);
    float[][][] ours;
    try (CausalLm model = CausalLm.load(base);
        LoraAdapter adapter = LoraAdapter.initialise(config, model.config(), base.toString(), 7)) {
      // a fresh adapter has B = 0 and would not show a wrong layout: give every B seeded non-zero values
      SplittableRandom random = new SplittableRandom(11);
      for (var e : adapter.parameters().entrySet()) {
        if (e.getKey().contains("lora_B")) {
          NDArray b = e.getValue();
          float[] values = new float[Math.toIntExact(b.size())];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 0.4 - 0.2);
          }
          b.set(values);
        }
      }
      adapter.save(out);
      model.attach(adapter);
      ours = model.logits(LoraParityIT.IDS, LoraParityIT.MASK);
    }
    JsonNode theirs = peftLogits(base.toAbsolutePath(), out.toAbsolutePath());
    double max = 0;
    double change = 0;
    float[][][] plain;
    try (CausalLm model = CausalLm.load(base)) {
      plain = model.logits(LoraParityIT.IDS, LoraParityIT.MASK);
    }
    for (int b = 0; b < ours.length; b++) {
      for (int l = 0; l < ours[b].length; l++) {
        if (LoraParityIT.MASK[b][l] == 0) {
          continue;  // padding
        }
        for (int v = 0; v < ours[b][l].length; v++) {
          max = Math.max(max, Math.abs(ours[b][l][v] - theirs.get("logits").get(b).get(l).get(v).asDouble()));
          change = Math.max(change, Math.abs(ours[b][l][v] - plain[b][l][v]));
        }
      }
    }
    System.out.printf("PEFT on a Java-written adapter: max |diff| %.2e (the adapter moves logits by up to %.2f)%n",
        max, change);
    assertTrue(change > 0.1, "the adapter should change the logits, moved by " + change);
    assertTrue(max < 1e-4, "max |diff| " + max);
  }

  private static JsonNode peftLogits(Path base, Path adapter) throws IOException, InterruptedException {
    Path script = Path.of("fixtures/peft_logits.py").toAbsolutePath();
    Process p = new ProcessBuilder(PYTHON, script.toString(), base.toString(), adapter.toString(),
        JSON.writeValueAsString(LoraParityIT.IDS), JSON.writeValueAsString(LoraParityIT.MASK))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "peft_logits.py did not finish");
    assertEquals(0, p.exitValue(), "peft_logits.py failed: " + stdout);
    String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
    return JSON.readTree(last);
  }
}
