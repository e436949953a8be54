package dev.renderloop.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hyper-parameters of a LoRA adapter in the PEFT format ({@code adapter_config.json}): every targeted linear
 * projection {@code W} of every decoder layer becomes {@code W x + scaling * B A dropout(x)}, with {@code A} of shape
 * {@code [rank, in]} and {@code B} of shape {@code [out, rank]}.
 *
 * @param rank the rank {@code r} of every {@code A}/{@code B} pair
 * @param alpha PEFT's {@code lora_alpha}
 * @param dropout probability with which an input element of {@code A} is zeroed in training (never in inference)
 * @param targetModules the adapted projections, a non-empty subset of {@link #MODULES}, in {@link #MODULES}' order
 * @param useRslora whether the scaling is {@code alpha / sqrt(rank)} (rsLoRA) rather than {@code alpha / rank}
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules, boolean useRslora) {
  /** The projections an adapter may target, by their PEFT (and Hugging Face module) names. */
  public static final List<String> MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  static final String FILE = "adapter_config.json";

  /**
   * Keys of adapter_config.json that change nothing this module computes: provenance, and options that only
   * choose how PEFT initialised the weights (the weights are in the file).
   */
  private static final Set<String> IGNORED = Set.of("auto_mapping", "base_model_name_or_path", "revision",
      "peft_version", "inference_mode", "init_lora_weights", "loftq_config", "eva_config", "corda_config",
      "lora_ga_config", "megatron_config", "megatron_core", "qalora_group_size", "ensure_weight_tying");

  /** Checks the values and puts the target modules in {@link #MODULES}' order. */
  public LoraConfig {
    if (rank <= 0) {
      throw new IllegalArgumentException("rank must be positive, got " + rank);
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("alpha must be positive and finite, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }
    if (targetModules == null || targetModules.isEmpty()) {
      throw new IllegalArgumentException("no target modules");
    }
    for (String m : targetModules) {
      if (!MODULES.contains(m)) {
        throw new IllegalArgumentException("target module '" + m + "' is not supported (supported: " + MODULES + ")");
      }
    }
    targetModules = MODULES.stream().filter(targetModules::contains).toList();
  }

  /** The factor applied to {@code B A x}: {@code alpha / rank}, or {@code alpha / sqrt(rank)} with rsLoRA. */
  public double scaling() {
    return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  /**
   * Reads {@code dir/adapter_config.json}.
   *
   * @throws ModelFormatException when the file is missing or not JSON, is not a LoRA config, or asks for a feature
   *     this module does not implement (DoRA, biases, modules_to_save, per-layer or per-module ranks, ...); the
   *     message names the file and the key
   */
  public static LoraConfig read(Path dir) throws ModelFormatException {
    String text = ConfigFile.read(dir, FILE, "adapter");
    return parse(text, dir.resolve(FILE).toString());
  }

  /** Parses the text of an {@code adapter_config.json}; {@code source} names it in error messages. */
  public static LoraConfig parse(String json, String source) throws ModelFormatException {
    JsonNode root = ConfigFile.object(json, source);
    String type = root.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new ModelFormatException(source + ": peft_type '" + type + "' is not supported (only LORA)");
    }
    String task = root.path("task_type").asText("CAUSAL_LM");
    if (!root.path("task_type").isNull() && !task.equals("CAUSAL_LM")) {
      throw new ModelFormatException(source + ": task_type '" + task + "' is not supported (only CAUSAL_LM)");
    }
    String bias = root.path("bias").asText("none");
    if (!bias.equals("none")) {
      throw new ModelFormatException(source + ": bias '" + bias + "' is not supported (only \"none\")");
    }
    List<String> handled = List.of("peft_type", "task_type", "bias", "r", "lora_alpha", "lora_dropout",
        "target_modules", "use_rslora");
    // Anything else must be absent or at its "off" value: an option this module does not implement (use_dora,
    // lora_bias, modules_to_save, layers_to_transform, rank_pattern, fan_in_fan_out, ...) would change what the
    // adapter computes, so it is refused rather than ignored.
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String key = entry.getKey();
      if (handled.contains(key) || IGNORED.contains(key) || isOff(entry.getValue())) {
        continue;
      }
      throw new ModelFormatException(source + ": " + key + " = " + entry.getValue() + " is not supported");
    }
    int rank = ConfigFile.requiredInt(root, "r", source);
    JsonNode alphaNode = root.get("lora_alpha");
    double alpha = alphaNode == null || alphaNode.isNull() ? 8 : alphaNode.asDouble();  // PEFT's default
    if (alphaNode != null && !alphaNode.isNull() && !alphaNode.isNumber()) {
      throw new ModelFormatException(source + ": lora_alpha must be a number, got " + alphaNode);
    }
    double dropout = root.path("lora_dropout").asDouble(0);
    boolean rslora = root.path("use_rslora").asBoolean(false);
    List<String> targets = targets(root.get("target_modules"), source);
    try {
      return new LoraConfig(rank, alpha, dropout, targets, rslora);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  /** Whether a config value leaves its feature off: null, false, an empty object or list, "none" or "". */
  private static boolean isOff(JsonNode value) {
    return value.isNull() || (value.isBoolean() && !value.asBoolean()) || (value.isContainerNode() && value.isEmpty())
        || (value.isTextual() && (value.asText().isEmpty() || value.asText().equals("none")));
  }

  private static List<String> targets(JsonNode node, String source) throws ModelFormatException {
    if (node == null || node.isNull()) {
      throw new ModelFormatException(source + ": missing field 'target_modules'");
    }
    if (node.isTextual()) {
      if (node.asText().equals("all-linear")) {
        return MODULES;  // every linear layer but the LM head: all seven projections in these architectures
      }
      // PEFT reads any other string as a regular expression over module paths
      throw new ModelFormatException(source + ": target_modules '" + node.asText()
          + "' (a regular expression) is not supported; list the modules (from " + MODULES + ")");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode m : node) {
      if (!MODULES.contains(m.asText())) {
        throw new ModelFormatException(source + ": target_modules entry '" + m.asText() + "' is not supported"
            + " (supported: " + MODULES + ")");
      }
      out.add(m.asText());
    }
    return out;
  }
}
