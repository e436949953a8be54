package dev.renderloop.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The architecture hyper-parameters of a decoder checkpoint, as read from its Hugging Face {@code config.json}.
 *
 * @param architecture which family's forward pass applies
 * @param hiddenSize width of the residual stream
 * @param layers number of decoder layers
 * @param heads number of query heads
 * @param kvHeads number of key/value heads (fewer than {@code heads} for grouped-query attention)
 * @param headDim width of one head
 * @param intermediateSize width of the SwiGLU MLP
 * @param rmsNormEps epsilon added inside every RMSNorm
 * @param ropeTheta base of the rotary embedding frequencies
 * @param vocabSize number of token ids (rows of the embedding and the LM head)
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param attentionBias whether the q/k/v projections carry biases (always for Qwen2)
 * @param qkNorm whether each query and key head is RMS-normalised (weights of width {@code headDim}) after the
 *     projection and before the rotary embedding (Qwen3)
 */
public record ModelConfig(
    Architecture architecture,
    int hiddenSize,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int intermediateSize,
    double rmsNormEps,
    double ropeTheta,
    int vocabSize,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean qkNorm) {

  /** The decoder families this module implements, by their Hugging Face class names. */
  public enum Architecture {
    QWEN2("Qwen2ForCausalLM"),
    QWEN3("Qwen3ForCausalLM"),
    LLAMA("LlamaForCausalLM");

    private final String hfName;

    Architecture(String hfName) {
      this.hfName = hfName;
    }

    /** The class name in {@code config.json}'s {@code architectures} list. */
    public String hfName() {
      return hfName;
    }
  }


  /** Checks the invariants the forward pass relies on. */
  public ModelConfig {
    if (hiddenSize <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || intermediateSize <= 0
        || vocabSize <= 0) {
      throw new IllegalArgumentException("sizes must be positive");
    }
    if (heads % kvHeads != 0) {
      throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("headDim must be even for rotary embeddings, got " + headDim);
    }
  }

  /**
   * Reads {@code dir/config.json}.
   *
   * @throws ModelFormatException when the file is missing, is not JSON, names an architecture other than those in
   *     {@link Architecture}, lacks a required field or asks for a feature this module does not implement; the
   *     message names the file and the field
   */
  public static ModelConfig read(Path dir) throws ModelFormatException {
    String text = ConfigFile.read(dir, "config.json", "model");
    return parse(text, dir.resolve("config.json").toString());
  }

  /** Parses the text of a {@code config.json}; {@code source} names it in error messages. */
  public static ModelConfig parse(String json, String source) throws ModelFormatException {
    JsonNode root = ConfigFile.object(json, source);
    Architecture architecture = architecture(root, source);
    String act = root.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new ModelFormatException(source + ": hidden_act '" + act + "' is not supported (only silu)");
    }
    if (root.path("mlp_bias").asBoolean(false)) {
      throw new ModelFormatException(source + ": mlp_bias=true is not supported");
    }
    if (root.path("use_sliding_window").asBoolean(false)) {
      throw new ModelFormatException(source + ": use_sliding_window=true is not supported");
    }
    JsonNode layerTypes = root.get("layer_types");
    if (layerTypes != null && layerTypes.isArray()) {
      for (JsonNode type : layerTypes) {
        if (!type.asText().equals("full_attention")) {
          // sliding-window layers would need a banded mask this module does not build
          throw new ModelFormatException(source + ": layer_types entry '" + type.asText()
              + "' is not supported (only full_attention)");
        }
      }
    }
    int hidden = ConfigFile.requiredInt(root, "hidden_size", source);
    int heads = ConfigFile.requiredInt(root, "num_attention_heads", source);
    int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
        ? ConfigFile.requiredInt(root, "num_key_value_heads", source) : heads;
    int headDim = root.has("head_dim") && !root.get("head_dim").isNull()
        ? ConfigFile.requiredInt(root, "head_dim", source) : hidden / heads;
    // Qwen2 always has q/k/v biases (its config has no switch); Llama and Qwen3 read attention_bias
    boolean bias = architecture == Architecture.QWEN2 || root.path("attention_bias").asBoolean(false);
    try {
      return new ModelConfig(architecture, hidden, ConfigFile.requiredInt(root, "num_hidden_layers", source), heads, kvHeads,
          headDim, ConfigFile.requiredInt(root, "intermediate_size", source), requiredDouble(root, "rms_norm_eps", source),
          ropeTheta(root, source), ConfigFile.requiredInt(root, "vocab_size", source),
          root.path("tie_word_embeddings").asBoolean(false), bias, architecture == Architecture.QWEN3);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  private static Architecture architecture(JsonNode root, String source) throws ModelFormatException {
    JsonNode list = root.get("architectures");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw new ModelFormatException(source + ": missing field 'architectures'");
    }
    String name = list.get(0).asText();
    for (Architecture a : Architecture.values()) {
      if (a.hfName.equals(name)) {
        return a;
      }
    }
    throw new ModelFormatException(source + ": unknown architecture '" + name + "' (supported: "
        + Arrays.stream(Architecture.values()).map(Architecture::hfName).toList() + ")");
  }

  /** transformers 5 writes the theta inside rope_parameters; 4.x writes rope_theta (and rope_scaling). */
  private static double ropeTheta(JsonNode root, String source) throws ModelFormatException {
    JsonNode params = root.get("rope_parameters");
    String[] keys = {"rope_parameters", "rope_scaling"};
    for (String key : keys) {
      JsonNode node = root.get(key);
      if (node != null && node.isObject()) {
        String type = node.path("rope_type").asText(node.path("type").asText("default"));
        if (!type.equals("default")) {
          throw new ModelFormatException(source + ": " + key + " rope scaling type '" + type
              + "' is not supported yet (only default)");
        }
      }
    }
    if (params != null && params.has("rope_theta")) {
      return requiredDouble(params, "rope_theta", source);
    }
    if (root.has("rope_theta")) {
      return requiredDouble(root, "rope_theta", source);
    }
    return 10000.0;  // the transformers default for both families
  }

  private static double requiredDouble(JsonNode node, String field, String source) throws ModelFormatException {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new ModelFormatException(source + ": missing field '" + field + "'");
    }
    if (!value.isNumber()) {
      throw new ModelFormatException(source + ": field '" + field + "' must be a number, got " + value);
    }
    return value.doubleValue();
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "%s(hidden=%d, layers=%d, heads=%d/%d, headDim=%d, mlp=%d, vocab=%d, tied=%b, qkNorm=%b)",
        architecture.hfName, hiddenSize, layers, heads, kvHeads, headDim, intermediateSize, vocabSize,
        tieWordEmbeddings, qkNorm);
  }
}
