package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LoraConfigTest {
  static final Path FIXTURES = Path.of("src/test/resources/dev/renderloop/model");

  static String config(String extra) {
    return "{\"peft_type\":\"LORA\",\"task_type\":\"CAUSAL_LM\",\"r\":4,\"lora_alpha\":8,\"lora_dropout\":0.05,"
        + "\"target_modules\":[\"v_proj\",\"q_proj\"],\"bias\":\"none\",\"use_dora\":false,\"modules_to_save\":null,"
        + "\"rank_pattern\":{},\"alpha_pattern\":{},\"layers_to_transform\":null,\"fan_in_fan_out\":false" + extra
        + "}";
  }

  @Test
  void readsPeftsFilesWithTheirScaling() throws Exception {
    LoraConfig qwen = LoraConfig.read(FIXTURES.resolve("qwen2-tiny-lora"));
    assertEquals(new LoraConfig(4, 8, 0.0, List.of("q_proj", "v_proj", "down_proj"), false), qwen);
    assertEquals(2.0, qwen.scaling());
    LoraConfig llama = LoraConfig.read(FIXTURES.resolve("llama-tiny-lora"));
    assertEquals(List.of("k_proj", "o_proj", "gate_proj", "up_proj"), llama.targetModules());
    assertTrue(llama.useRslora());
    assertEquals(0.1, llama.dropout());
    assertEquals(16 / Math.sqrt(8), llama.scaling(), 1e-12);
  }

  @Test
  void targetModulesAreKeptInModuleOrderAndAllLinearMeansAllSeven() throws Exception {
    assertEquals(List.of("q_proj", "v_proj"), LoraConfig.parse(config(""), "c").targetModules());
    LoraConfig all = LoraConfig.parse(config("").replace("[\"v_proj\",\"q_proj\"]", "\"all-linear\""), "c");
    assertEquals(LoraConfig.MODULES, all.targetModules());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"use_dora\":false|\"use_dora\":true|use_dora",
      "\"bias\":\"none\"|\"bias\":\"lora_only\"|bias",
      "\"modules_to_save\":null|\"modules_to_save\":[\"lm_head\"]|modules_to_save",
      "\"rank_pattern\":{}|\"rank_pattern\":{\"q_proj\":8}|rank_pattern",
      "\"alpha_pattern\":{}|\"alpha_pattern\":{\"q_proj\":32}|alpha_pattern",
      "\"layers_to_transform\":null|\"layers_to_transform\":[0]|layers_to_transform",
      "\"fan_in_fan_out\":false|\"fan_in_fan_out\":true|fan_in_fan_out",
      "\"peft_type\":\"LORA\"|\"peft_type\":\"IA3\"|peft_type",
      "\"task_type\":\"CAUSAL_LM\"|\"task_type\":\"SEQ_CLS\"|task_type",
      "[\"v_proj\",\"q_proj\"]|[\"v_proj\",\"lm_head\"]|lm_head",
      "[\"v_proj\",\"q_proj\"]|\".*attn.*\"|target_modules",
      "\"r\":4|\"r\":0|rank",
      "\"lora_dropout\":0.05|\"lora_dropout\":1.0|dropout",
  })
  void unsupportedOrInvalidOptionsAreRefusedNamingFileAndKey(String from, String to, String key) {
    String json = config("");
    assertTrue(json.contains(from), from);
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> LoraConfig.parse(json.replace(from, to), "/a/adapter_config.json"));
    assertTrue(e.getMessage().contains(key) && e.getMessage().contains("/a/adapter_config.json"), e.getMessage());
  }

  @Test
  void unknownKeysAreRefusedUnlessOffAndProvenanceIsIgnored() throws Exception {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> LoraConfig.parse(config(",\"layer_replication\":[[0,2]]"), "c"));
    assertTrue(e.getMessage().contains("layer_replication"), e.getMessage());
    LoraConfig c = LoraConfig.parse(config(",\"layer_replication\":null,\"peft_version\":\"0.21.0\","
        + "\"base_model_name_or_path\":\"x\",\"init_lora_weights\":\"gaussian\",\"qalora_group_size\":16"), "c");
    assertFalse(c.useRslora());
  }

  @Test
  void missingRankIsNamed() {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> LoraConfig.parse(config("").replace("\"r\":4,", ""), "c.json"));
    assertTrue(e.getMessage().contains("'r'"), e.getMessage());
  }
}
