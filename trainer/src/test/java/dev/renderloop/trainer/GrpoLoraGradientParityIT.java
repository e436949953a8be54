package dev.renderloop.trainer;

import static dev.renderloop.trainer.Fixtures.flat;
import static dev.renderloop.trainer.Fixtures.floats2;
import static dev.renderloop.trainer.Fixtures.longs2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.CompletionLogProbs;
import dev.renderloop.model.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole GRPO backward pass against TRL's: the policy's log-probs from {@link CausalLm#completionLogProbs} on
 * qwen2-tiny-chat with the fixture adapter (r 8, alpha 16, all seven projections), {@link GrpoLoss} on them with
 * the fixture's old-policy and reference log-probs, and the LoRA gradients compared with those trl's
 * GRPOTrainer._compute_loss left in the PEFT model (grpo.json; four tensors in full, the global norm of all 28).
 */
class GrpoLoraGradientParityIT {
  /** Absolute tolerance on gradients and loss. */
  static final double TOLERANCE = 1e-5;
  static JsonNode fixture;
  static CausalLm model;
  static LoraAdapter adapter;

  @BeforeAll
  static void load() throws Exception {
    fixture = Fixtures.read("grpo.json");
    model = CausalLm.load(Fixtures.MODEL, Fixtures.ADAPTER);
    adapter = model.adapter().orElseThrow();
    adapter.setTrainable(true);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  static long[][] prompts() {
    long[][] distinct = longs2(fixture.get("prompts"));
    int group = fixture.get("group").asInt();
    long[][] rows = new long[fixture.get("completions").size()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = distinct[i / group];
    }
    return rows;
  }

  @Test
  void policyAndReferenceLogProbsMatchTrl() {
    long[][] prompts = prompts();
    long[][] completions = longs2(fixture.get("completions"));
    float[] want = flat(floats2(fixture.get("logps")));
    float[] wantRef = flat(floats2(fixture.get("ref_logps")));
    float[][] got = model.logProbs(prompts, completions);
    model.enableAdapter(false);
    float[][] ref;
    try {
      ref = model.logProbs(prompts, completions);
    } finally {
      model.enableAdapter(true);
    }
    int width = fixture.get("completion_mask").get(0).size();
    double worst = 0;
    for (int b = 0; b < completions.length; b++) {
      for (int t = 0; t < completions[b].length; t++) {
        worst = Math.max(worst, Math.abs(got[b][t] - want[b * width + t]));
        worst = Math.max(worst, Math.abs(ref[b][t] - wantRef[b * width + t]));
      }
    }
    System.out.printf("policy and reference log-probs: max |diff| vs TRL %.3g%n", worst);
    assertTrue(worst <= 1e-4, "log-prob difference " + worst);
  }

  /**
   * At sampling temperature 0.7 TRL takes the log-probs of the ratio and the KL from {@code logits / 0.7}; ours must
   * too, both through {@link CausalLm#logProbs(long[][], long[][], double)} (old policy, reference) and through
   * {@link CausalLm#completionLogProbs(NDManager, long[][], long[][], long, double)} (the policy on the graph). The
   * fixture's temperature-1 log-probs differ from these by far more than the tolerance, so a forgotten division
   * fails.
   */
  @Test
  void logProbsAtTheSamplingTemperatureMatchTrl() {
    double temperature = fixture.get("temperature").asDouble();
    assertTrue(temperature != 1.0, "the fixture must use a temperature other than 1");
    long[][] prompts = prompts();
    long[][] completions = longs2(fixture.get("completions"));
    int width = fixture.get("completion_mask").get(0).size();
    float[] want = flat(floats2(fixture.get("logps_at_temperature")));
    float[] wantRef = flat(floats2(fixture.get("ref_logps_at_temperature")));
    float[] atOne = flat(floats2(fixture.get("logps")));
    float[][] got = model.logProbs(prompts, completions, temperature);
    float[] graph;
    try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      graph = model.completionLogProbs(owner, prompts, completions, 0, temperature).values().toFloatArray();
    }
    model.enableAdapter(false);
    float[][] ref;
    try {
      ref = model.logProbs(prompts, completions, temperature);
    } finally {
      model.enableAdapter(true);
    }
    double worst = 0;
    double spread = 0;
    for (int b = 0; b < completions.length; b++) {
      for (int t = 0; t < completions[b].length; t++) {
        int i = b * width + t;
        worst = Math.max(worst, Math.abs(got[b][t] - want[i]));
        worst = Math.max(worst, Math.abs(graph[i] - want[i]));
        worst = Math.max(worst, Math.abs(ref[b][t] - wantRef[i]));
        spread = Math.max(spread, Math.abs(want[i] - atOne[i]));
      }
    }
    System.out.printf("log-probs at temperature %.2f: max |diff| vs TRL %.3g (TRL's own T=1 vs T=%.2f differ by up "
        + "to %.3g)%n", temperature, worst, temperature, spread);
    assertTrue(spread > 1e-2, "the fixture's temperature changes the log-probs");
    assertTrue(worst <= 1e-4, "log-prob difference at temperature " + temperature + ": " + worst);
  }

  static List<String> cases() throws Exception {
    return GrpoLossParityTest.cases();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void loraGradientsMatchTrl(String name) throws Exception {
    gradientsMatchTrl(name, false);
  }

  /**
   * The same gradients when the garbage collector runs between the forward and the backward pass and the freed
   * native memory is reused (direct buffers filled with a junk value): no scalar the graph reads may have been
   * freed (see {@code GraphScalar}; before it, every case here gave wrong gradients).
   */
  @ParameterizedTest
  @MethodSource("cases")
  void loraGradientsSurviveAGarbageCollectionBeforeBackward(String name) throws Exception {
    gradientsMatchTrl(name, true);
  }

  private void gradientsMatchTrl(String name, boolean collectBeforeBackward) throws Exception {
    GrpoLossParityTest.fixture = fixture;
    JsonNode c = GrpoLossParityTest.find(name);
    long[][] prompts = prompts();
    long[][] completions = longs2(fixture.get("completions"));
    adapter.zeroGradients();
    float loss;
    try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      CompletionLogProbs lp = model.completionLogProbs(owner, prompts, completions, 0);
      Shape shape = lp.values().getShape();
      NDArray old = owner.create(flat(floats2(fixture.get("old_logps"))), shape);
      NDArray ref = owner.create(flat(floats2(fixture.get("ref_logps"))), shape);
      GrpoLossResult result = GrpoLoss.compute(GrpoLossParityTest.config(c), lp.values(), lp.mask(), old, ref,
          GrpoLossParityTest.advantages(c), LossNormaliser.single(lp.tokens()));
      if (collectBeforeBackward) {
        Fixtures.churnNativeMemory();
      }
      collector.backward(result.loss());
      loss = result.loss().getFloat();
    }
    double worst = 0;
    double square = 0;
    for (Map.Entry<String, NDArray> e : adapter.parameters().entrySet()) {
      float[] g;
      try (NDArray gradient = e.getValue().getGradient()) {
        g = gradient.toFloatArray();
      }
      for (float v : g) {
        square += (double) v * v;
      }
      JsonNode want = c.get("lora_gradients").get("tensors").get(e.getKey());
      if (want != null) {
        assertEquals(want.size(), g.length, e.getKey());
        for (int i = 0; i < g.length; i++) {
          worst = Math.max(worst, Math.abs(g[i] - want.get(i).asDouble()));
        }
      }
    }
    double norm = Math.sqrt(square);
    double wantNorm = c.get("lora_gradients").get("norm").asDouble();
    System.out.printf((collectBeforeBackward ? "(gc before backward) " : "") + "%s: loss %.9g (TRL %.9g); LoRA gradients max |diff| %.3g, global norm %.7g (TRL %.7g)%n",
        name, loss, c.get("loss").asDouble(), worst, norm, wantNorm);
    assertEquals(c.get("loss").asDouble(), loss, TOLERANCE, "loss");
    assertTrue(worst <= TOLERANCE, "LoRA gradient difference " + worst);
    assertEquals(wantNorm, norm, TOLERANCE * Math.max(1, wantNorm), "global gradient norm");
  }
}
