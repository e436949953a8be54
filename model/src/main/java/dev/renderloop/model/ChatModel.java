package dev.renderloop.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A chat model in this JVM: a {@link CausalLm}, its {@link Tokenizer} and its {@link ChatTemplate}, turning messages
 * into completions the way an OpenAI-compatible server does. Messages become a prompt through the model's own chat
 * template (with the generation prompt), the prompt is tokenised without adding special tokens, {@code n} samples
 * are drawn with {@link CausalLm#sample}, each stops at an EOS id, at a stop string or at the token limit, and is
 * decoded with special tokens skipped and cut before the stop string.
 *
 * <p>Seeded and reproducible: the same messages, parameters, stop strings and {@code n} give the same completions
 * (see {@link CausalLm#sample} for how seeds become per-sample streams).
 *
 * <p>Calls are serialised: the underlying model is not thread-safe, so {@link #complete} holds this object's lock for
 * the whole generation, and concurrent callers wait their turn.
 */
public final class ChatModel implements AutoCloseable {
  private final CausalLm lm;
  private final Tokenizer tokenizer;
  private final ChatTemplate template;
  private final int contextLength;

  /**
   * A chat prompt: the rendered template and its ids.
   *
   * @param text what the chat template rendered
   * @param ids {@code text} tokenised without adding special tokens
   */
  public record Prompt(String text, long[] ids) {}

  private ChatModel(CausalLm lm, Tokenizer tokenizer, ChatTemplate template, int contextLength) {
    this.lm = lm;
    this.tokenizer = tokenizer;
    this.template = template;
    this.contextLength = contextLength;
  }

  /**
   * Loads a Hugging Face model directory: weights and {@code config.json} (see {@link CausalLm#load}),
   * {@code tokenizer.json}, {@code tokenizer_config.json} with its chat template (or {@code chat_template.jinja}),
   * and {@code generation_config.json} when present. The context length is {@code max_position_embeddings}.
   *
   * @throws ModelFormatException when a file is missing or unusable, the tokenizer has ids the model's vocabulary
   *     lacks, or the chat template cannot be rendered exactly; the message names the file
   */
  public static ChatModel load(Path dir) throws ModelFormatException {
    return load(dir, null);
  }

  /**
   * {@link #load(Path)} with a LoRA adapter in the PEFT format attached and enabled (see
   * {@link CausalLm#load(Path, Path)}); {@code adapterDir} null loads the base model.
   *
   * @throws ModelFormatException as {@link #load(Path)}, and when the adapter is missing, unsupported or made for
   *     another model; the message names the file and the tensor
   * @throws ModelRuntimeUnavailableException when the model runtime is not installed (checked before any file is read)
   */
  public static ChatModel load(Path dir, Path adapterDir) throws ModelFormatException {
    ModelRuntime.requireInstalled();
    Tokenizer tokenizer = Tokenizer.load(dir);
    try {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      int context = contextLength(dir.resolve("config.json"));
      CausalLm lm = adapterDir == null ? CausalLm.load(dir) : CausalLm.load(dir, adapterDir);
      try {
        return of(lm, tokenizer, template, context);
      } catch (IllegalArgumentException e) {
        lm.close();
        throw new ModelFormatException(dir + ": " + e.getMessage(), e);
      }
    } catch (ModelFormatException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * Assembles a chat model from parts (a model with an adapter attached, say). Takes ownership: {@link #close()}
   * closes {@code lm} and {@code tokenizer}.
   *
   * @throws IllegalArgumentException when the tokenizer has ids beyond the model's vocabulary or
   *     {@code contextLength} is below 2
   */
  public static ChatModel of(CausalLm lm, Tokenizer tokenizer, ChatTemplate template, int contextLength) {
    if (tokenizer.size() > lm.config().vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tokenizer.size() + " ids, the model's vocabulary "
          + lm.config().vocabSize());
    }
    if (contextLength < 2) {
      throw new IllegalArgumentException("context length must be >= 2, got " + contextLength);
    }
    return new ChatModel(lm, tokenizer, template, contextLength);
  }

  /** The most tokens a prompt and its completion may hold together. */
  public int contextLength() {
    return contextLength;
  }

  /** The tokenizer (thread-safe). */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * The prompt for {@code messages}, with the generation prompt.
   *
   * @throws ChatTemplateException when the template refuses the messages
   */
  public Prompt prompt(List<ChatMessage> messages) {
    return prompt(messages, java.util.Map.of());
  }

  /**
   * {@link #prompt(List)} with extra chat-template variables (see
   * {@link ChatTemplate#render(List, boolean, java.util.Map)}), e.g. {@code Map.of("enable_thinking", false)} for
   * Qwen3.
   *
   * @throws ChatTemplateException as {@link #prompt(List)}
   * @throws IllegalArgumentException when a variable name is reserved or not an identifier
   */
  public Prompt prompt(List<ChatMessage> messages, java.util.Map<String, ?> templateVariables) {
    String text = template.render(messages, true, templateVariables);
    return new Prompt(text, tokenizer.encode(text));
  }

  /**
   * {@code n} completions of {@code prompt}. The tokenizer's EOS ids are added to {@code params.eosTokenIds()}.
   *
   * @param stop stop strings (none may be empty); a completion ends once its text contains one, and its text is
   *     cut before the earliest
   * @throws IllegalArgumentException when the prompt is empty, {@code n < 1}, a stop string is empty, or the prompt
   *     plus {@code params.maxNewTokens()} exceeds the context length (the message says "maximum context length",
   *     as OpenAI's does)
   */
  public synchronized List<Completion> complete(Prompt prompt, SamplingParams params, List<String> stop, int n) {
    Objects.requireNonNull(prompt, "prompt");
    StopStrings stops = new StopStrings(stop);
    if (prompt.ids().length == 0) {
      throw new IllegalArgumentException("the prompt is empty");
    }
    int asked = prompt.ids().length + params.maxNewTokens();
    if (asked > contextLength) {
      throw new IllegalArgumentException("This model's maximum context length is " + contextLength
          + " tokens; the prompt has " + prompt.ids().length + " tokens and " + params.maxNewTokens()
          + " more were asked for (" + asked + " in all)");
    }
    Set<Long> eos = new HashSet<>(params.eosTokenIds());
    eos.addAll(tokenizer.eosTokenIds());
    SamplingParams withEos = new SamplingParams(params.temperature(), params.topK(), params.topP(), params.minP(),
        params.repetitionPenalty(), params.maxNewTokens(), eos, params.seed());
    List<Sample> samples = lm.sample(prompt.ids(), withEos, n,
        stops.condition(tokens -> tokenizer.decode(tokens, true)));
    List<Completion> out = new ArrayList<>(samples.size());
    for (Sample s : samples) {
      long[] ids = s.tokenIds();
      String text = tokenizer.decode(s.stoppedAtEos() ? Arrays.copyOf(ids, ids.length - 1) : ids, true);
      int at = stops.find(text);
      Completion.FinishReason reason;
      if (at >= 0) {
        text = text.substring(0, at);
        reason = Completion.FinishReason.STOP_STRING;
      } else {
        reason = s.stoppedAtEos() ? Completion.FinishReason.EOS : Completion.FinishReason.LENGTH;
      }
      out.add(new Completion(text, s, reason));
    }
    return out;
  }

  /** The model and the tokenizer are closed. */
  @Override
  public void close() {
    try {
      lm.close();
    } finally {
      tokenizer.close();
    }
  }

  private static int contextLength(Path config) throws ModelFormatException {
    JsonNode json;
    try {
      json = new ObjectMapper().readTree(config.toFile());
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + config + ": " + e.getMessage(), e);
    }
    JsonNode max = json.path("max_position_embeddings");
    if (!max.isIntegralNumber()) {
      throw new ModelFormatException(config + ": no integer max_position_embeddings (the context length)");
    }
    return max.asInt();
  }
}
