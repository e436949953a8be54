package dev.renderloop.model;

import static dev.renderloop.model.CausalLmParityIT.FIXTURES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** LoRA adapters written by PEFT (model/fixtures/make_lora_fixtures.py): parity, disabling, saving, initialising. */
class LoraParityIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long[][] IDS = {{1, 5, 6, 7, 8, 9, 10, 11}, {0, 0, 0, 1, 200, 201, 299, 4}};
  static final long[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};

  @ParameterizedTest
  @CsvSource({"qwen2-tiny, qwen2-tiny-lora", "llama-tiny, llama-tiny-lora"})
  void adapterLogitsAndGreedyGenerationsMatchPeft(String base, String adapter) throws Exception {
    JsonNode expected = JSON.readTree(FIXTURES.resolve(adapter).resolve("expected.json").toFile());
    try (CausalLm model = CausalLm.load(FIXTURES.resolve(base), FIXTURES.resolve(adapter))) {
      CausalLmParityIT.assertMatches(model, expected, adapter);
    }
  }

  @ParameterizedTest
  @CsvSource({"qwen2-tiny, qwen2-tiny-lora", "llama-tiny, llama-tiny-lora"})
  void disabledAdapterGivesTheBaseLogitsBitForBit(String base, String adapter) throws Exception {
    float[][][] reference;
    try (CausalLm plain = CausalLm.load(FIXTURES.resolve(base))) {
      reference = plain.logits(IDS, MASK);
    }
    try (CausalLm model = CausalLm.load(FIXTURES.resolve(base), FIXTURES.resolve(adapter))) {
      float[][][] adapted = model.logits(IDS, MASK);
      assertTrue(maxDiff(adapted, reference) > 0.1, "the adapter should change the logits");
      model.enableAdapter(false);
      assertBitIdentical(reference, model.logits(IDS, MASK));
      model.enableAdapter(true);
      assertBitIdentical(adapted, model.logits(IDS, MASK));
      model.detach();
      assertBitIdentical(reference, model.logits(IDS, MASK));
    }
  }

  @ParameterizedTest
  @CsvSource({"qwen2-tiny, qwen2-tiny-lora", "llama-tiny, llama-tiny-lora"})
  void saveThenLoadRoundTripsBitExactlyAndWritesPeftsLayout(String base, String name, @TempDir Path out)
      throws Exception {
    Path peft = FIXTURES.resolve(name);
    try (LoraAdapter loaded = LoraAdapter.load(peft)) {
      loaded.save(out);
      try (LoraAdapter reloaded = LoraAdapter.load(out)) {
        assertEquals(loaded.config(), reloaded.config());
        assertEquals(loaded.baseModel(), reloaded.baseModel());
        assertEquals(Optional.of(base), reloaded.baseModel());
        assertEquals(loaded.parameters().keySet(), reloaded.parameters().keySet());
        for (Map.Entry<String, NDArray> e : loaded.parameters().entrySet()) {
          assertArrayEquals(e.getValue().toFloatArray(), reloaded.parameters().get(e.getKey()).toFloatArray(),
              e.getKey());
        }
        try (CausalLm a = CausalLm.load(FIXTURES.resolve(base)); CausalLm b = CausalLm.load(FIXTURES.resolve(base))) {
          a.attach(loaded);
          b.attach(reloaded);
          assertBitIdentical(a.logits(IDS, MASK), b.logits(IDS, MASK));
        }
      }
    }
    // What PEFT's loader reads: the same tensor names, dtypes and shapes, and (both files hold F32 in name order)
    // the same data bytes; and the config keys PEFT needs for a plain LoRA, with PEFT's values.
    Map<String, SafetensorsReader.TensorInfo> want = SafetensorsReader.header(peft.resolve(LoraAdapter.WEIGHTS));
    Map<String, SafetensorsReader.TensorInfo> got = SafetensorsReader.header(out.resolve(LoraAdapter.WEIGHTS));
    assertEquals(new TreeSet<>(want.keySet()), new TreeSet<>(got.keySet()));
    for (String key : want.keySet()) {
      assertEquals("F32", got.get(key).dtype(), key);
      assertArrayEquals(want.get(key).shape(), got.get(key).shape(), key);
      assertEquals(want.get(key).end() - want.get(key).start(), got.get(key).end() - got.get(key).start(), key);
    }
    assertArrayEquals(data(peft.resolve(LoraAdapter.WEIGHTS)), data(out.resolve(LoraAdapter.WEIGHTS)));
    assertEquals(0, (Files.size(out.resolve(LoraAdapter.WEIGHTS)) - data(out.resolve(LoraAdapter.WEIGHTS)).length)
        % 8, "header padded to 8 bytes");
    JsonNode peftConfig = JSON.readTree(peft.resolve("adapter_config.json").toFile());
    JsonNode javaConfig = JSON.readTree(out.resolve("adapter_config.json").toFile());
    for (String key : List.of("peft_type", "task_type", "base_model_name_or_path", "r", "lora_alpha", "lora_dropout",
        "target_modules", "bias", "fan_in_fan_out", "use_rslora", "use_dora", "inference_mode", "modules_to_save",
        "layers_to_transform", "rank_pattern", "alpha_pattern", "lora_bias")) {
      assertTrue(javaConfig.has(key), key);
      assertEquals(peftConfig.get(key), javaConfig.get(key), key);
    }
    javaConfig.fieldNames().forEachRemaining(key -> assertTrue(peftConfig.has(key), "PEFT writes no key " + key));
  }

  /** The data section of a safetensors file (after the length and the header). */
  static byte[] data(Path file) throws Exception {
    byte[] all = Files.readAllBytes(file);
    long header = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return Arrays.copyOfRange(all, (int) (8 + header), all.length);
  }

  @Test
  void freshAdapterFollowsPeftsInitialisationAndLeavesTheModelUnchanged() throws Exception {
    LoraConfig config = new LoraConfig(8, 16, 0.0, List.of("down_proj", "q_proj", "o_proj"), false);
    assertEquals(List.of("q_proj", "o_proj", "down_proj"), config.targetModules());
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen3-tiny"));
        LoraAdapter fresh = LoraAdapter.initialise(config, model.config(), "qwen3-tiny", 42);
        LoraAdapter same = LoraAdapter.initialise(config, model.config(), "qwen3-tiny", 42);
        LoraAdapter other = LoraAdapter.initialise(config, model.config(), "qwen3-tiny", 43)) {
      assertEquals(2 * 3 * 2, fresh.parameters().size());
      for (Map.Entry<String, NDArray> e : fresh.parameters().entrySet()) {
        float[] v = e.getValue().toFloatArray();
        if (e.getKey().contains("lora_B")) {
          for (float x : v) {
            assertEquals(0f, x, e.getKey());
          }
        } else {
          long in = e.getValue().getShape().get(1);
          double bound = 1 / Math.sqrt(in);
          double max = 0;
          for (float x : v) {
            assertTrue(Math.abs(x) <= bound, e.getKey() + " value " + x + " beyond " + bound);
            max = Math.max(max, Math.abs(x));
          }
          assertTrue(max > 0.8 * bound, e.getKey() + " should spread over the bound, max " + max);
          assertArrayEquals(v, same.parameters().get(e.getKey()).toFloatArray());
          assertFalse(Arrays.equals(v, other.parameters().get(e.getKey()).toFloatArray()));
        }
      }
      // q_proj's in and o_proj's out differ from hidden / heads-based sizes on qwen3-tiny (head_dim 24)
      assertArrayEquals(new long[] {8, 96}, fresh.weight(0, "o_proj", 'A').getShape().getShape());
      float[][][] base = model.logits(IDS, MASK);
      model.attach(fresh);
      assertBitIdentical(base, model.logits(IDS, MASK));
      // a non-zero B makes the adapter matter
      fresh.weight(1, "down_proj", 'B').addi(0.05f);
      assertTrue(maxDiff(base, model.logits(IDS, MASK)) > 1e-3);
    }
  }

  static void assertBitIdentical(float[][][] want, float[][][] got) {
    for (int b = 0; b < want.length; b++) {
      for (int l = 0; l < want[b].length; l++) {
        assertArrayEquals(want[b][l], got[b][l], "row " + b + " position " + l);
      }
    }
  }

  static double maxDiff(float[][][] a, float[][][] b) {
    double worst = 0;
    for (int r = 0; r < a.length; r++) {
      for (int l = 0; l < a[r].length; l++) {
        if (MASK[r][l] == 0) {
          continue;
        }
        for (int v = 0; v < a[r][l].length; v++) {
          worst = Math.max(worst, Math.abs(a[r][l][v] - b[r][l][v]));
        }
      }
    }
    assertNotEquals(0, a.length);
    return worst;
  }
}
