package dev.renderloop.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A model's own tokenizer: {@code tokenizer.json} run by the Hugging Face tokenizers library (its Rust code, through
 * DJL's JNI binding), with the special tokens and chat template of {@code tokenizer_config.json}. Ids equal what
 * {@code transformers}' {@code AutoTokenizer} gives for the same directory (tested on trained byte-level BPE
 * tokenizers in the Qwen2 and Llama 3 shapes).
 *
 * <p>{@link #encode(String)} adds no special tokens: a chat prompt already carries them from its template, as
 * {@code apply_chat_template(tokenize=True)} does. Text that contains a special token's string (say
 * {@code <|im_end|>}) is encoded to that token's id, as in transformers.
 *
 * <p><b>Offline.</b> DJL can phone home when a tokenizer is created; loading this class sets
 * {@code ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true} unless they are set. The native library ships in
 * the DJL jar and is extracted to {@code $ENGINE_CACHE_DIR/tokenizers} (default {@code ~/.djl.ai}).
 *
 * <p>Thread-safe (the native tokenizer accepts concurrent calls). Close it to free the native tokenizer.
 */
public final class Tokenizer implements AutoCloseable {
  static {
    // before any DJL class initialises: offline mode also stops its EC2 metadata probe
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    if (System.getProperty("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final Map<String, Long> addedTokens;
  private final Set<String> specialTokens;
  private final Map<String, Long> vocab;
  private final SpecialTokens named;
  private final Set<Long> eosTokenIds;
  private final String chatTemplate;
  private final Path templateSource;

  /**
   * The special tokens {@code tokenizer_config.json} names ({@code null} where it names none).
   *
   * @param bos beginning of sequence, e.g. {@code <|begin_of_text|>}
   * @param eos end of sequence as the tokenizer sees it (for an instruct model, the end of a turn:
   *     {@code <|im_end|>}, {@code <|eot_id|>})
   * @param pad padding
   * @param unk unknown token
   */
  public record SpecialTokens(String bos, String eos, String pad, String unk) {}

  private Tokenizer(HuggingFaceTokenizer tokenizer, Map<String, Long> addedTokens, Set<String> specialTokens,
      Map<String, Long> vocab, SpecialTokens named, Set<Long> eosTokenIds, String chatTemplate,
      Path templateSource) {
    this.tokenizer = tokenizer;
    this.addedTokens = addedTokens;
    this.specialTokens = specialTokens;
    this.vocab = vocab;
    this.named = named;
    this.eosTokenIds = eosTokenIds;
    this.chatTemplate = chatTemplate;
    this.templateSource = templateSource;
  }

  /**
   * Loads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json} (special tokens, chat
   * template), {@code dir/chat_template.jinja} (the template as transformers 5 saves it; it wins over the config's)
   * and {@code dir/generation_config.json} (further EOS ids).
   *
   * @throws ModelFormatException naming the file when {@code tokenizer.json} is missing or any file is not what it
   *     should be
   */
  public static Tokenizer load(Path dir) throws ModelFormatException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException("no tokenizer.json in " + dir + " (a Hugging Face tokenizers file is needed)");
    }
    JsonNode json = readJson(file);
    Map<String, Long> vocab = new HashMap<>();
    json.path("model").path("vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asLong()));
    Map<String, Long> added = new LinkedHashMap<>();
    Set<String> special = new LinkedHashSet<>();
    for (JsonNode t : json.path("added_tokens")) {
      added.put(t.path("content").asText(), t.path("id").asLong());
      if (t.path("special").asBoolean(false)) {
        special.add(t.path("content").asText());
      }
    }
    Path configFile = dir.resolve("tokenizer_config.json");
    JsonNode config = Files.isRegularFile(configFile) ? readJson(configFile) : JSON.createObjectNode();
    SpecialTokens named = new SpecialTokens(tokenText(config.get("bos_token")), tokenText(config.get("eos_token")),
        tokenText(config.get("pad_token")), tokenText(config.get("unk_token")));
    String template = null;
    Path templateSource = null;
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinja)) {
      try {
        template = Files.readString(jinja);
        templateSource = jinja;
      } catch (IOException e) {
        throw new ModelFormatException("cannot read " + jinja + ": " + e.getMessage(), e);
      }
    } else if (config.has("chat_template")) {
      template = defaultTemplate(config.get("chat_template"), configFile);
      templateSource = configFile;
    }
    HuggingFaceTokenizer native_;
    // From a stream, not a path: given a path DJL reads tokenizer_config.json itself and may apply its own
    // defaults (and a name would make it download from the Hub).
    Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
    try (InputStream in = Files.newInputStream(file)) {
      native_ = HuggingFaceTokenizer.newInstance(in, options);
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException("not a Hugging Face tokenizer.json: " + file + ": " + e.getMessage(), e);
    }
    Set<Long> eos = new LinkedHashSet<>();
    if (named.eos() != null) {
      Long id = added.containsKey(named.eos()) ? added.get(named.eos()) : vocab.get(named.eos());
      if (id == null) {
        native_.close();
        throw new ModelFormatException(configFile + ": eos_token " + named.eos() + " is not a token of " + file);
      }
      eos.add(id);
    }
    Path generation = dir.resolve("generation_config.json");
    if (Files.isRegularFile(generation)) {
      JsonNode ids = readJson(generation).path("eos_token_id");
      if (ids.isIntegralNumber()) {
        eos.add(ids.asLong());
      }
      for (JsonNode id : ids) {
        eos.add(id.asLong());
      }
    }
    return new Tokenizer(native_, Collections.unmodifiableMap(added), Collections.unmodifiableSet(special), vocab,
        named, Collections.unmodifiableSet(eos), template, templateSource);
  }

  /** The ids of {@code text}, without special tokens added (special-token strings inside it still map to them). */
  public long[] encode(String text) {
    return encode(text, false);
  }

  /**
   * The ids of {@code text}; with {@code addSpecialTokens}, the tokenizer's post-processor adds what it adds in
   * transformers' {@code encode(text)} (e.g. Llama 3's {@code <|begin_of_text|>}; nothing for Qwen2).
   */
  public long[] encode(String text, boolean addSpecialTokens) {
    Objects.requireNonNull(text, "text");
    return tokenizer.encode(text, addSpecialTokens, false).getIds();
  }

  /** The text of {@code ids}, special tokens included. */
  public String decode(long[] ids) {
    return decode(ids, false);
  }

  /**
   * The text of {@code ids}, as transformers' {@code decode(ids, skip_special_tokens=...)} gives it. A byte-level
   * sequence cut inside a multi-byte character decodes to U+FFFD there.
   */
  public String decode(long[] ids, boolean skipSpecialTokens) {
    if (ids.length == 0) {
      return "";
    }
    return tokenizer.decode(ids, skipSpecialTokens);
  }

  /** The id of a token given as its vocabulary string (an added token such as {@code <|im_end|>}, or a BPE piece). */
  public OptionalLong tokenId(String token) {
    Long id = addedTokens.get(token);
    if (id == null) {
      id = vocab.get(token);
    }
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** The special tokens {@code tokenizer_config.json} names. */
  public SpecialTokens specialTokens() {
    return named;
  }

  /** Every added token marked special in {@code tokenizer.json}, with its id, in file order. */
  public Map<String, Long> addedSpecialTokens() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String s : specialTokens) {
      out.put(s, addedTokens.get(s));
    }
    return out;
  }

  /**
   * The ids that end a generation: the config's {@code eos_token} and every {@code eos_token_id} of
   * {@code generation_config.json} (Llama 3 lists several there). May be empty.
   */
  public Set<Long> eosTokenIds() {
    return eosTokenIds;
  }

  /** The highest token id plus one: the vocabulary and the added tokens. */
  public int size() {
    long max = -1;
    for (long id : vocab.values()) {
      max = Math.max(max, id);
    }
    for (long id : addedTokens.values()) {
      max = Math.max(max, id);
    }
    return (int) (max + 1);
  }

  /** The Jinja chat template, if the directory has one. */
  public Optional<String> chatTemplateSource() {
    return Optional.ofNullable(chatTemplate);
  }

  /** The file the chat template came from (for error messages), if any. */
  Optional<Path> chatTemplateFile() {
    return Optional.ofNullable(templateSource);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** A special token as tokenizer_config.json writes it: a string, an AddedToken object, or null. */
  private static String tokenText(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    return node.isTextual() ? node.asText() : node.path("content").asText(null);
  }

  /** {@code chat_template} is a string, or a list of {name, template} of which "default" is the chat one. */
  private static String defaultTemplate(JsonNode node, Path file) throws ModelFormatException {
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray()) {
      for (JsonNode t : node) {
        if ("default".equals(t.path("name").asText())) {
          return t.path("template").asText();
        }
      }
      throw new ModelFormatException(file + ": chat_template lists named templates but none named 'default'");
    }
    throw new ModelFormatException(file + ": chat_template is neither a string nor a list of named templates");
  }

  private static JsonNode readJson(Path file) throws ModelFormatException {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + " as JSON: " + e.getMessage(), e);
    }
  }
}
