package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IntraOpThreadsTest {
  static final Path FIXTURES = Path.of("src/test/resources/dev/renderloop/model");

  @AfterEach
  void clearProperty() {
    System.clearProperty("renderloop.model.threads");
  }

  @Test
  void aNarrowModelComputesOnOneThreadAWideOneOnEveryCore() throws Exception {
    ModelConfig narrow = ModelConfig.read(FIXTURES.resolve("qwen2-tiny"));  // hidden size 64
    assertEquals(1, CausalLm.intraOpThreads(narrow));
    String wide = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":768,\"intermediate_size\":2048,"
        + "\"num_hidden_layers\":2,\"num_attention_heads\":12,\"num_key_value_heads\":4,\"vocab_size\":300,"
        + "\"rms_norm_eps\":1e-6,\"max_position_embeddings\":64}";
    assertEquals(Runtime.getRuntime().availableProcessors(), CausalLm.intraOpThreads(ModelConfig.parse(wide, "config.json")));
  }

  @Test
  void thePropertyOverridesAndABadValueIsRefused() throws Exception {
    ModelConfig narrow = ModelConfig.read(FIXTURES.resolve("qwen2-tiny"));
    System.setProperty("renderloop.model.threads", "3");
    assertEquals(3, CausalLm.intraOpThreads(narrow));
    for (String bad : new String[] {"0", "-1", "two"}) {
      System.setProperty("renderloop.model.threads", bad);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CausalLm.intraOpThreads(narrow));
      assertEquals("renderloop.model.threads must be a positive integer, got '" + bad + "'", e.getMessage());
    }
  }
}
