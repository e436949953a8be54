package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a damaged copy of a fixture checkpoint fails with a message naming the file and the tensor. */
class CausalLmBadInputIT {
  @TempDir Path dir;

  void copy(String fixture) throws Exception {
    try (Stream<Path> files = Files.list(CausalLmParityIT.FIXTURES.resolve(fixture))) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
  }

  @Test
  void missingConfig() throws Exception {
    copy("qwen2-tiny");
    Files.delete(dir.resolve("config.json"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
  }

  @Test
  void missingShard() throws Exception {
    copy("llama-tiny-sharded");
    Files.delete(dir.resolve("model-00002-of-00004.safetensors"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("model-00002-of-00004.safetensors"), e.getMessage());
  }

  @Test
  void truncatedWeights() throws Exception {
    copy("qwen2-tiny");
    Path file = dir.resolve("model.safetensors");
    byte[] all = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(all, all.length / 2));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(file.toString())
        && e.getMessage().contains("tensor '"), e.getMessage());
  }

  @Test
  void untiedConfigWithoutLmHeadNamesTheTensor() throws Exception {
    copy("qwen2-tiny");
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"tie_word_embeddings\": true",
        "\"tie_word_embeddings\": false"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
  }

  @Test
  void configThatDisagreesWithTheWeightsNamesTensorAndShapes() throws Exception {
    copy("llama-tiny");
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 128",
        "\"intermediate_size\": 96"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("mlp.gate_proj.weight") && e.getMessage().contains("[128, 64]")
        && e.getMessage().contains("[96, 64]"), e.getMessage());
  }

  @Test
  void unknownArchitecture() throws Exception {
    copy("llama-tiny");
    Path config = dir.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("LlamaForCausalLM", "MambaForCausalLM"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> CausalLm.load(dir));
    assertTrue(e.getMessage().contains("MambaForCausalLM") && e.getMessage().contains(config.toString()),
        e.getMessage());
  }
}
