package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {
  static final Path FIXTURES = Path.of("src/test/resources/dev/renderloop/model");

  @Test
  void readsQwen2FixtureWithTiedEmbeddingsAndBiases() throws Exception {
    ModelConfig c = ModelConfig.read(FIXTURES.resolve("qwen2-tiny"));
    assertEquals(ModelConfig.Architecture.QWEN2, c.architecture());
    assertEquals(64, c.hiddenSize());
    assertEquals(2, c.layers());
    assertEquals(4, c.heads());
    assertEquals(2, c.kvHeads());
    assertEquals(16, c.headDim());
    assertEquals(128, c.intermediateSize());
    assertEquals(300, c.vocabSize());
    assertEquals(1e-6, c.rmsNormEps());
    assertEquals(10000.0, c.ropeTheta());
    assertTrue(c.tieWordEmbeddings());
    assertTrue(c.attentionBias());
  }

  @Test
  void readsLlamaFixtureWithUntiedHeadAndItsTheta() throws Exception {
    ModelConfig c = ModelConfig.read(FIXTURES.resolve("llama-tiny"));
    assertEquals(ModelConfig.Architecture.LLAMA, c.architecture());
    assertEquals(500.0, c.ropeTheta());
    assertEquals(1e-5, c.rmsNormEps());
    assertFalse(c.tieWordEmbeddings());
    assertFalse(c.attentionBias());
  }

  static String llama(String extra) {
    return "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":64,\"num_hidden_layers\":2,"
        + "\"num_attention_heads\":4,\"intermediate_size\":128,\"rms_norm_eps\":1e-5,\"vocab_size\":300" + extra + "}";
  }

  @Test
  void transformers4RopeThetaAndDefaultsAreRead() throws Exception {
    ModelConfig c = ModelConfig.parse(llama(",\"rope_theta\":500000.0"), "config.json");
    assertEquals(500000.0, c.ropeTheta());
    assertEquals(4, c.kvHeads());  // no num_key_value_heads: plain multi-head attention
    assertEquals(16, c.headDim());
  }

  @Test
  void unknownArchitectureIsNamedWithTheFile() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        llama("").replace("LlamaForCausalLM", "GPT2LMHeadModel"), "/m/config.json"));
    assertTrue(e.getMessage().contains("GPT2LMHeadModel") && e.getMessage().contains("/m/config.json"),
        e.getMessage());
  }

  @Test
  void missingFieldIsNamedWithTheFile() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        llama("").replace("\"vocab_size\":300", "\"x\":1"), "/m/config.json"));
    assertTrue(e.getMessage().contains("vocab_size") && e.getMessage().contains("/m/config.json"), e.getMessage());
  }

  @Test
  void unsupportedRopeScalingIsRefusedNotIgnored() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        llama(",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0}"), "c.json"));
    assertTrue(e.getMessage().contains("llama3"), e.getMessage());
  }

  @Test
  void headsNotDivisibleByKvHeadsIsRefused() {
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> ModelConfig.parse(llama(",\"num_key_value_heads\":3"), "c.json"));
    assertTrue(e.getMessage().contains("kvHeads"), e.getMessage());
  }

  @Test
  void missingAndMalformedConfigFilesAreReported(@TempDir Path dir) throws Exception {
    ModelFormatException missing = assertThrows(ModelFormatException.class, () -> ModelConfig.read(dir));
    assertTrue(missing.getMessage().contains("config.json") && missing.getMessage().contains(dir.toString()));
    Files.writeString(dir.resolve("config.json"), "{not json");
    ModelFormatException bad = assertThrows(ModelFormatException.class, () -> ModelConfig.read(dir));
    assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());
  }

  @Test
  void readsQwen3FixtureWithItsOwnHeadDimAndQkNorm() throws Exception {
    ModelConfig c = ModelConfig.read(FIXTURES.resolve("qwen3-tiny"));
    assertEquals(ModelConfig.Architecture.QWEN3, c.architecture());
    assertEquals(24, c.headDim());  // not hidden / heads = 16
    assertTrue(c.qkNorm());
    assertFalse(c.attentionBias());
    assertEquals(1e6, c.ropeTheta());
    assertFalse(ModelConfig.read(FIXTURES.resolve("qwen2-tiny")).qkNorm());
  }

  static String qwen3(String extra) {
    return llama(",\"head_dim\":24" + extra).replace("LlamaForCausalLM", "Qwen3ForCausalLM");
  }

  @Test
  void qwen3SlidingWindowIsRefusedNamingTheKey() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        qwen3(",\"use_sliding_window\":true,\"sliding_window\":64"), "/q/config.json"));
    assertTrue(e.getMessage().contains("use_sliding_window") && e.getMessage().contains("/q/config.json"),
        e.getMessage());
    ModelFormatException layers = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        qwen3(",\"layer_types\":[\"full_attention\",\"sliding_attention\"]"), "/q/config.json"));
    assertTrue(layers.getMessage().contains("layer_types") && layers.getMessage().contains("sliding_attention"),
        layers.getMessage());
  }

  @Test
  void qwen3AttentionBiasIsReadNotAssumed() throws Exception {
    assertFalse(ModelConfig.parse(qwen3(""), "c.json").attentionBias());
    assertTrue(ModelConfig.parse(qwen3(",\"attention_bias\":true"), "c.json").attentionBias());
  }

  @Test
  void yarnRopeScalingIsRefusedNamingTheKey() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelConfig.parse(
        qwen3(",\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}"), "c.json"));
    assertTrue(e.getMessage().contains("rope_scaling") && e.getMessage().contains("yarn"), e.getMessage());
  }
}
