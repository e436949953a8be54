package dev.renderloop.trainer;

import static dev.renderloop.trainer.Fixtures.flat;
import static dev.renderloop.trainer.Fixtures.floats;
import static dev.renderloop.trainer.Fixtures.floats2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link GrpoLoss} and {@link GroupAdvantages} against trl's GRPOTrainer._compute_loss on grpo.json's fixed batch:
 * the same policy, old-policy and reference log-probs and mask, for every case (loss type x beta x ratio level x
 * epsilons x reward scaling). The policy log-probs are a leaf here, so the test compares the loss and its gradient
 * with respect to each log-prob (TRL's, captured with retain_grad) and TRL's logged metrics.
 */
class GrpoLossParityTest {
  static final double TOLERANCE = 1e-5;
  static JsonNode fixture;

  @BeforeAll
  static void read() throws Exception {
    fixture = Fixtures.read("grpo.json");
  }

  static List<String> cases() throws Exception {
    List<String> names = new ArrayList<>();
    Fixtures.read("grpo.json").get("cases").forEach(c -> names.add(c.get("name").asText()));
    return names;
  }

  static JsonNode find(String name) {
    for (JsonNode c : fixture.get("cases")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError(name);
  }

  static GrpoLossConfig config(JsonNode c) {
    return new GrpoLossConfig(LossType.fromTrlName(c.get("loss_type").asText()), c.get("beta").asDouble(),
        c.get("epsilon").asDouble(), c.get("epsilon_high").asDouble(),
        ImportanceSampling.valueOf(c.get("importance_sampling_level").asText().toUpperCase(Locale.ROOT)),
        fixture.get("max_completion_length").asInt(), c.get("use_bias_correction_kl").asBoolean());
  }

  static float[] advantages(JsonNode c) {
    return GroupAdvantages.compute(floats(fixture.get("rewards")), fixture.get("group").asInt(),
        RewardScaling.valueOf(c.get("scale_rewards").asText().toUpperCase(Locale.ROOT)));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void lossGradientAndMetricsMatchTrl(String name) {
    JsonNode c = find(name);
    float[] advantages = advantages(c);
    assertArrayEquals(floats(c.get("advantages")), advantages, 1e-6f, "advantages");

    float[][] logps = floats2(fixture.get("logps"));
    int rows = logps.length;
    int width = logps[0].length;
    Shape shape = new Shape(rows, width);
    float[] mask = flat(floats2(fixture.get("completion_mask")));
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray policy = manager.create(flat(logps), shape);
      policy.setRequiresGradient(true);
      NDArray maskArray = manager.create(mask, shape);
      NDArray old = manager.create(flat(floats2(fixture.get("old_logps"))), shape);
      NDArray ref = manager.create(flat(floats2(fixture.get("ref_logps"))), shape);
      int tokens = (int) maskArray.sum().getFloat();
      GrpoLossResult result = GrpoLoss.compute(config(c), policy, maskArray, old, ref, advantages,
          LossNormaliser.single(tokens));
      collector.backward(result.loss());
      assertEquals(c.get("loss").asDouble(), result.loss().getFloat(), TOLERANCE, "loss");
      float[] gradient = policy.getGradient().toFloatArray();
      float[] want = flat(floats2(c.get("logp_gradient")));
      double worst = 0;
      for (int i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(gradient[i] * mask[i] - want[i]));
      }
      System.out.printf("%s: loss %.9g (TRL %.9g), max |d loss/d logp - TRL's| %.3g%n", name,
          result.loss().getFloat(), c.get("loss").asDouble(), worst);
      assertTrue(worst <= TOLERANCE, "gradient difference " + worst);

      JsonNode metrics = c.get("metrics");
      assertEquals(metrics.get("clip_ratio/low_mean").asDouble(), result.clipLow(), 1e-6, "clip low");
      assertEquals(metrics.get("clip_ratio/high_mean").asDouble(), result.clipHigh(), 1e-6, "clip high");
      assertEquals(metrics.get("clip_ratio/region_mean").asDouble(), result.clipRegion(), 1e-6, "clip region");
      if (c.get("beta").asDouble() != 0) {
        assertEquals(metrics.get("kl").asDouble(), result.kl(), 1e-6, "kl");
      } else {
        assertTrue(Double.isNaN(result.kl()), "no KL without beta");
      }
    }
  }
}
