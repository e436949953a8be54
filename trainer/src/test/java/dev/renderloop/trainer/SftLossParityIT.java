package dev.renderloop.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.CompletionLogProbs;
import dev.renderloop.model.LoraAdapter;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SftLoss} on the model's completion log-probs against trl's SFTTrainer.compute_loss with
 * completion_only_loss=True on the batch its own collator built (sft.json: three conversational prompt/completion
 * pairs tokenised with qwen2-tiny-chat's chat template), loss and LoRA gradients; once more with a garbage
 * collection and native-memory churn between forward and backward ({@link Fixtures#churnNativeMemory}).
 */
class SftLossParityIT {
  static final double TOLERANCE = 1e-5;

  @ParameterizedTest(name = "gc before backward: {0}")
  @ValueSource(booleans = {false, true})
  void lossAndLoraGradientsMatchTrl(boolean collectBeforeBackward) throws Exception {
    JsonNode f = Fixtures.read("sft.json");
    int n = f.get("examples").size();
    long[][] prompts = new long[n][];
    long[][] completions = new long[n][];
    for (int i = 0; i < n; i++) {
      prompts[i] = toLongs(f.get("examples").get(i).get("prompt_ids"));
      completions[i] = toLongs(f.get("examples").get(i).get("completion_ids"));
    }
    try (CausalLm model = CausalLm.load(Fixtures.MODEL, Fixtures.ADAPTER)) {
      LoraAdapter adapter = model.adapter().orElseThrow();
      adapter.setTrainable(true);
      float loss;
      try (NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
          GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        CompletionLogProbs lp = model.completionLogProbs(owner, prompts, completions, 0);
        NDArray l = SftLoss.compute(lp, lp.tokens());
        if (collectBeforeBackward) {
          Fixtures.churnNativeMemory();
        }
        collector.backward(l);
        loss = l.getFloat();
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
        JsonNode want = f.get("lora_gradients").get("tensors").get(e.getKey());
        if (want != null) {
          for (int i = 0; i < g.length; i++) {
            worst = Math.max(worst, Math.abs(g[i] - want.get(i).asDouble()));
          }
        }
      }
      double wantNorm = f.get("lora_gradients").get("norm").asDouble();
      System.out.printf("SFT: loss %.9g (TRL %.9g); LoRA gradients max |diff| %.3g; norm %.7g (TRL %.7g)%n", loss,
          f.get("loss").asDouble(), worst, Math.sqrt(square), wantNorm);
      assertEquals(f.get("loss").asDouble(), loss, TOLERANCE, "loss");
      assertTrue(worst <= TOLERANCE, "LoRA gradient difference " + worst);
      assertEquals(wantNorm, Math.sqrt(square), TOLERANCE * Math.max(1, wantNorm), "global gradient norm");
    }
  }

  static long[] toLongs(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }
}
