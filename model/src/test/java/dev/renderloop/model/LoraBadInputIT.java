package dev.renderloop.model;

import static dev.renderloop.model.CausalLmParityIT.FIXTURES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged or mismatched adapters fail with a message naming the file and the key or tensor. */
class LoraBadInputIT {
  static final String KEY = "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight";
  @TempDir Path dir;

  Path weights() {
    return dir.resolve(LoraAdapter.WEIGHTS);
  }

  void copy(String fixture) throws Exception {
    try (Stream<Path> files = Files.list(FIXTURES.resolve(fixture))) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
  }

  ModelFormatException loadFails() {
    return assertThrows(ModelFormatException.class,
        () -> CausalLm.load(FIXTURES.resolve("qwen2-tiny"), dir).close());
  }

  @Test
  void missingConfig() throws Exception {
    copy("qwen2-tiny-lora");
    Files.delete(dir.resolve("adapter_config.json"));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("adapter_config.json") && e.getMessage().contains(dir.toString()),
        e.getMessage());
  }

  @Test
  void missingWeightsAndPickledWeights() throws Exception {
    copy("qwen2-tiny-lora");
    Files.delete(weights());
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains(LoraAdapter.WEIGHTS) && e.getMessage().contains(dir.toString()),
        e.getMessage());
    Files.write(dir.resolve("adapter_model.bin"), new byte[16]);
    ModelFormatException pickle = loadFails();
    assertTrue(pickle.getMessage().contains("adapter_model.bin"), pickle.getMessage());
  }

  @Test
  void truncatedWeights() throws Exception {
    copy("qwen2-tiny-lora");
    byte[] all = Files.readAllBytes(weights());
    Files.write(weights(), Arrays.copyOf(all, all.length - 100));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(weights().toString())
        && e.getMessage().contains("tensor '"), e.getMessage());
  }

  @Test
  void adapterForAModelOfOtherShapesNamesTensorAndFile() throws Exception {
    // qwen3-tiny's query heads are 24 wide: q_proj's B must be [96, 4], the qwen2 adapter's is [64, 4]
    ModelFormatException e = assertThrows(ModelFormatException.class,
        () -> CausalLm.load(FIXTURES.resolve("qwen3-tiny"), FIXTURES.resolve("qwen2-tiny-lora")).close());
    assertTrue(e.getMessage().contains("self_attn.q_proj.lora_B.weight") && e.getMessage().contains("[64, 4]")
        && e.getMessage().contains("[96, 4]")
        && e.getMessage().contains(FIXTURES.resolve("qwen2-tiny-lora").resolve(LoraAdapter.WEIGHTS).toString()),
        e.getMessage());
  }

  @Test
  void adapterWithOtherLayerCountIsRefused() throws Exception {
    ModelConfig base = ModelConfig.read(FIXTURES.resolve("qwen2-tiny"));
    ModelConfig oneLayer = new ModelConfig(base.architecture(), base.hiddenSize(), 1, base.heads(), base.kvHeads(),
        base.headDim(), base.intermediateSize(), base.rmsNormEps(), base.ropeTheta(), base.vocabSize(),
        base.tieWordEmbeddings(), base.attentionBias(), base.qkNorm());
    LoraConfig config = new LoraConfig(4, 8, 0, List.of("q_proj"), false);
    try (CausalLm model = CausalLm.load(FIXTURES.resolve("qwen2-tiny"));
        LoraAdapter adapter = LoraAdapter.initialise(config, oneLayer, null, 1)) {
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> model.attach(adapter));
      assertTrue(e.getMessage().contains("1 decoder layers") && e.getMessage().contains("has 2"), e.getMessage());
      assertTrue(model.adapter().isEmpty(), "a refused adapter is not attached");
    }
  }

  @Test
  void unknownTargetModuleInTheConfig() throws Exception {
    copy("qwen2-tiny-lora");
    editConfig(c -> c.putArray("target_modules").add("q_proj").add("v_proj").add("down_proj").add("lm_head"));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("lm_head") && e.getMessage().contains("adapter_config.json"), e.getMessage());
  }

  @Test
  void tensorOfAModuleTheConfigDoesNotTarget() throws Exception {
    copy("qwen2-tiny-lora");
    editConfig(c -> c.putArray("target_modules").add("q_proj").add("v_proj"));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("down_proj.lora_") && e.getMessage().contains("target_modules")
        && e.getMessage().contains(weights().toString()), e.getMessage());
  }

  @Test
  void unsupportedConfigKeys() throws Exception {
    copy("qwen2-tiny-lora");
    editConfig(c -> c.put("use_dora", true));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("use_dora") && e.getMessage().contains("adapter_config.json"),
        e.getMessage());
  }

  @Test
  void rankThatDisagreesWithTheWeights() throws Exception {
    copy("qwen2-tiny-lora");
    editConfig(c -> c.put("r", 8));
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains("r = 8") && e.getMessage().contains("[4, ")
        && e.getMessage().contains(weights().toString()), e.getMessage());
  }

  @Test
  void missingTensorIsNamed() throws Exception {
    copy("qwen2-tiny-lora");
    Map<String, SafetensorsWriter.Tensor> kept = new LinkedHashMap<>();
    for (SafetensorsReader.TensorInfo info : SafetensorsReader.header(weights()).values()) {
      if (!info.name().equals(KEY)) {
        kept.put(info.name(), new SafetensorsWriter.Tensor(SafetensorsReader.floats(info), info.shape()));
      }
    }
    SafetensorsWriter.write(weights(), kept);
    ModelFormatException e = loadFails();
    assertTrue(e.getMessage().contains(KEY) && e.getMessage().contains(weights().toString()), e.getMessage());
  }

  @Test
  void bf16WeightsAreWidenedInJava() throws Exception {
    copy("qwen2-tiny-lora");
    Map<String, float[]> rounded = new LinkedHashMap<>();
    ObjectNode header = new ObjectMapper().createObjectNode();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    long offset = 0;
    for (SafetensorsReader.TensorInfo info : SafetensorsReader.header(weights()).values()) {
      float[] values = SafetensorsReader.floats(info);
      ByteBuffer bytes = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
      float[] widened = new float[values.length];
      for (int i = 0; i < values.length; i++) {
        short bits = (short) (Float.floatToIntBits(values[i]) >>> 16);  // truncation: any BF16 value will do
        bytes.putShort(bits);
        widened[i] = Float.intBitsToFloat((bits & 0xffff) << 16);
      }
      rounded.put(info.name(), widened);
      ObjectNode t = header.putObject(info.name());
      t.put("dtype", "BF16");
      t.putArray("shape").add(info.shape()[0]).add(info.shape()[1]);
      t.putArray("data_offsets").add(offset).add(offset + 2L * values.length);
      offset += 2L * values.length;
      data.write(bytes.array());
    }
    byte[] json = new ObjectMapper().writeValueAsBytes(header);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
    file.write(json);
    file.write(data.toByteArray());
    Files.write(weights(), file.toByteArray());
    try (LoraAdapter adapter = LoraAdapter.load(dir)) {
      for (Map.Entry<String, NDArray> e : adapter.parameters().entrySet()) {
        assertArrayEquals(rounded.get(e.getKey()), e.getValue().toFloatArray(), e.getKey());
      }
    }
  }

  void editConfig(java.util.function.Consumer<ObjectNode> edit) throws Exception {
    Path file = dir.resolve("adapter_config.json");
    ObjectNode config = (ObjectNode) new ObjectMapper().readTree(file.toFile());
    edit.accept(config);
    Files.writeString(file, config.toString());
  }
}
