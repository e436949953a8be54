package dev.renderloop.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights of a LoRA adapter in the PEFT format: for every decoder layer and every target module, {@code A}
 * ({@code [rank, in]}) and {@code B} ({@code [out, rank]}), held as F32 arrays of DJL's PyTorch engine under the
 * names PEFT's {@code adapter_model.safetensors} uses, e.g.
 * {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight}.
 *
 * <p>An adapter is loaded ({@link #load}) or freshly initialised ({@link #initialise}), attached to a
 * {@link CausalLm} of matching shape ({@link CausalLm#attach}), and saved ({@link #save}) in the format PEFT's
 * {@code save_pretrained} writes, so that PEFT and vLLM load it. The arrays of {@link #parameters()} are the ones
 * an attached model computes with: a trainer makes them trainable ({@link #setTrainable}), reads their gradients
 * after {@code GradientCollector.backward} and updates them in place.
 *
 * <p>An instance holds native memory until {@link #close()}; it must stay open while a model uses it, and is not
 * safe for concurrent use.
 */
public final class LoraAdapter implements AutoCloseable {
  static final String WEIGHTS = "adapter_model.safetensors";
  private static final Pattern KEY = Pattern.compile(
      "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.([a-z_]+)\\.lora_([AB])\\.weight");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final List<String> ATTENTION = List.of("q_proj", "k_proj", "v_proj", "o_proj");

  private final LoraConfig config;
  private final String baseModel;
  private final int layers;
  private final Path source;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;

  private LoraAdapter(LoraConfig config, String baseModel, int layers, Path source, NDManager manager,
      Map<String, NDArray> parameters) {
    this.config = config;
    this.baseModel = baseModel;
    this.layers = layers;
    this.source = source;
    this.manager = manager;
    this.parameters = Collections.unmodifiableMap(parameters);
  }

  /**
   * Loads {@code dir}: {@code adapter_config.json} and {@code adapter_model.safetensors} (F32, F16 or BF16; 16-bit
   * weights are widened to F32 in Java).
   *
   * @throws ModelFormatException when a file is missing or truncated, the config asks for an option this module
   *     does not implement, a tensor name is not a LoRA weight of a target module, a tensor's shape disagrees with
   *     the rank, or a layer lacks a tensor; the message names the file and the key or tensor
   */
  public static LoraAdapter load(Path dir) throws ModelFormatException {
    LoraConfig config = LoraConfig.read(dir);
    Path file = dir.resolve(WEIGHTS);
    if (!Files.exists(file)) {
      String pickle = Files.exists(dir.resolve("adapter_model.bin"))
          ? " (adapter_model.bin, a pickle, is not read: convert it to safetensors)" : "";
      throw new ModelFormatException("no " + WEIGHTS + " in adapter directory " + dir + pickle);
    }
    SafetensorsReader reader = SafetensorsReader.openFile(file);
    int layers = 0;
    for (String name : reader.names()) {
      Matcher m = KEY.matcher(name);
      if (!m.matches()) {
        throw new ModelFormatException(file + ": tensor '" + name + "' is not a LoRA weight of a decoder projection"
            + " (expected base_model.model.model.layers.N.{self_attn|mlp}.MODULE.lora_{A|B}.weight)");
      }
      String module = m.group(3);
      if (!config.targetModules().contains(module) || !m.group(2).equals(block(module))) {
        throw new ModelFormatException(file + ": tensor '" + name + "' adapts " + m.group(2) + "." + module
            + ", which is not among " + LoraConfig.FILE + "'s target_modules " + config.targetModules());
      }
      long[] shape = reader.info(name).shape();
      boolean isA = m.group(4).equals("A");
      if (shape.length != 2 || shape[isA ? 0 : 1] != config.rank()) {
        throw new ModelFormatException(file + ": tensor '" + name + "' has shape " + Arrays.toString(shape)
            + " but r = " + config.rank() + " in " + LoraConfig.FILE + " implies " + (isA ? "[r, in]" : "[out, r]"));
      }
      layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
    }
    if (layers == 0) {
      throw new ModelFormatException(file + " holds no LoRA weights");
    }
    NDManager manager = CausalLm.newManager();
    try {
      Map<String, NDArray> parameters = new TreeMap<>();
      for (int layer = 0; layer < layers; layer++) {
        for (String module : config.targetModules()) {
          for (char which : new char[] {'A', 'B'}) {
            String name = key(layer, module, which);
            SafetensorsReader.TensorInfo info = reader.info(name);  // fails naming the tensor and the file
            parameters.put(name, manager.create(SafetensorsReader.floats(info), new Shape(info.shape())));
          }
        }
      }
      return new LoraAdapter(config, baseModelName(dir), layers, file, manager, parameters);
    } catch (ModelFormatException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A fresh adapter for a model of architecture {@code model}, initialised as PEFT initialises one: every
   * {@code A} drawn uniformly from {@code [-1/sqrt(in), 1/sqrt(in)]} (PyTorch's {@code kaiming_uniform_} with
   * {@code a = sqrt(5)}), every {@code B} zero, so that the adapted model starts equal to the base. The draws
   * come from a {@link SplittableRandom} seeded with {@code seed}, one split per tensor in name order.
   *
   * @param baseModel what {@link #save} writes as {@code base_model_name_or_path} (may be null)
   */
  public static LoraAdapter initialise(LoraConfig config, ModelConfig model, String baseModel, long seed) {
    NDManager manager = CausalLm.newManager();
    Map<String, NDArray> parameters = new TreeMap<>();
    for (int layer = 0; layer < model.layers(); layer++) {
      for (String module : config.targetModules()) {
        long[] outIn = outIn(model, module);
        parameters.put(key(layer, module, 'A'), null);
        parameters.put(key(layer, module, 'B'), manager.zeros(new Shape(outIn[0], config.rank())));
      }
    }
    SplittableRandom root = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      if (e.getValue() != null) {
        continue;
      }
      Matcher m = KEY.matcher(e.getKey());
      if (!m.matches()) {
        throw new IllegalStateException(e.getKey());
      }
      int in = (int) outIn(model, m.group(3))[1];
      double bound = 1.0 / Math.sqrt(in);
      SplittableRandom random = root.split();
      float[] values = new float[config.rank() * in];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
      e.setValue(manager.create(values, new Shape(config.rank(), in)));
    }
    return new LoraAdapter(config, baseModel, model.layers(), null, manager, parameters);
  }

  /** The adapter's hyper-parameters. */
  public LoraConfig config() {
    return config;
  }

  /** {@code base_model_name_or_path} from the loaded config, or as given to {@link #initialise}. */
  public Optional<String> baseModel() {
    return Optional.ofNullable(baseModel);
  }

  /** The number of decoder layers the adapter covers. */
  public int layers() {
    return layers;
  }

  /**
   * Every {@code A} and {@code B}, by PEFT tensor name, in name order. The arrays are live: an attached model
   * computes with their current values, so in-place updates take effect at the next forward pass.
   */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /**
   * Marks every parameter as requiring gradients (or not), so that a forward pass run inside a
   * {@code GradientCollector} records them and {@code backward} fills {@code parameter.getGradient()}.
   */
  public void setTrainable(boolean trainable) {
    for (NDArray p : parameters.values()) {
      p.setRequiresGradient(trainable);
    }
  }

  /**
   * Sets the gradient of every parameter to zero. PyTorch adds each {@code backward} into the gradients, so a
   * trainer calls this between steps (DJL's {@code GradientCollector} does not zero them, and its
   * {@code zeroGradients()} walks every array of the engine).
   */
  public void zeroGradients() {
    for (NDArray p : parameters.values()) {
      if (p.hasGradient()) {
        try (NDArray gradient = p.getGradient()) {
          gradient.set(new NDIndex("..."), 0f);
        }
      }
    }
  }

  /**
   * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (F32, PEFT's tensor names) into
   * {@code dir}, creating it, in the format PEFT's {@code save_pretrained} writes.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      tensors.put(e.getKey(), new SafetensorsWriter.Tensor(e.getValue().toFloatArray(),
          e.getValue().getShape().getShape()));
    }
    SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors);
    ObjectNode json = JSON.createObjectNode();
    // the keys PEFT 0.21 writes that describe a plain LoRA, at the values that mean "off"; sorted, as PEFT sorts
    json.putObject("alpha_pattern");
    json.put("base_model_name_or_path", baseModel);
    json.put("bias", "none");
    json.put("fan_in_fan_out", false);
    json.put("inference_mode", true);
    json.put("init_lora_weights", true);
    json.putNull("layers_pattern");
    json.putNull("layers_to_transform");
    if (config.alpha() == Math.rint(config.alpha())) {
      json.put("lora_alpha", (long) config.alpha());
    } else {
      json.put("lora_alpha", config.alpha());
    }
    json.put("lora_bias", false);
    json.put("lora_dropout", config.dropout());
    json.putNull("modules_to_save");
    json.put("peft_type", "LORA");
    json.put("r", config.rank());
    json.putObject("rank_pattern");
    config.targetModules().stream().sorted().forEach(json.putArray("target_modules")::add);
    json.put("task_type", "CAUSAL_LM");
    json.put("use_dora", false);
    json.put("use_rslora", config.useRslora());
    Files.writeString(dir.resolve(LoraConfig.FILE), JSON.writeValueAsString(json) + "\n");
  }

  @Override
  public void close() {
    manager.close();
  }

  /** The file the weights came from, for error messages; a fresh adapter has none. */
  String source() {
    return source == null ? "a freshly initialised adapter" : source.toString();
  }

  NDArray weight(int layer, String module, char which) {
    return parameters.get(key(layer, module, which));
  }

  /** PEFT's name of the {@code A} or {@code B} weight of {@code module} in layer {@code layer}. */
  static String key(int layer, String module, char which) {
    return "base_model.model.model.layers." + layer + "." + block(module) + "." + module + ".lora_" + which
        + ".weight";
  }

  /** {@code [out, in]} of {@code module}'s projection in a model of architecture {@code model}. */
  static long[] outIn(ModelConfig model, String module) {
    long h = model.hiddenSize();
    long q = (long) model.heads() * model.headDim();
    long kv = (long) model.kvHeads() * model.headDim();
    long m = model.intermediateSize();
    return switch (module) {
      case "q_proj" -> new long[] {q, h};
      case "k_proj", "v_proj" -> new long[] {kv, h};
      case "o_proj" -> new long[] {h, q};
      case "gate_proj", "up_proj" -> new long[] {m, h};
      case "down_proj" -> new long[] {h, m};
      default -> throw new IllegalArgumentException(module);
    };
  }

  private static String block(String module) {
    return ATTENTION.contains(module) ? "self_attn" : "mlp";
  }

  private static String baseModelName(Path dir) throws ModelFormatException {
    Path file = dir.resolve(LoraConfig.FILE);
    try {
      JsonNode node = JSON.readTree(Files.readString(file)).get("base_model_name_or_path");
      return node == null || node.isNull() ? null : node.asText();
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
