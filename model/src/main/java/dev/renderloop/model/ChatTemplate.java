package dev.renderloop.model;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

/**
 * A model's Jinja chat template, rendered in Java the way {@code transformers}' {@code apply_chat_template(messages,
 * tokenize=False, add_generation_prompt=...)} renders it.
 *
 * <h2>How it matches transformers</h2>
 * transformers renders with jinja2's sandboxed environment, {@code trim_blocks} and {@code lstrip_blocks} on, with
 * the globals {@code raise_exception}, the special-token strings ({@code bos_token}, {@code eos_token}, ...),
 * {@code messages}, {@code add_generation_prompt} and {@code tools = None}. This class renders the same template
 * with Jinjava (HubSpot's Jinja engine) configured the same way, and adds what chat templates use that Jinjava
 * lacks or does differently:
 *
 * <ul>
 *   <li>{@code raise_exception(message)}, which fails the render with {@link ChatTemplateException.Kind#REFUSED};
 *   <li>Python string methods on strings: {@code startswith}, {@code endswith} (a string or a list of them),
 *       {@code strip}/{@code lstrip}/{@code rstrip} (with or without characters), {@code split}, {@code upper},
 *       {@code lower}, {@code replace}, {@code find}, {@code count}, {@code join}, {@code splitlines};
 *   <li>{@code |tojson} as transformers defines it ({@code json.dumps(x, ensure_ascii=False)}, Python's separators,
 *       optional {@code indent}) and {@code |trim} with Python's notion of whitespace.
 * </ul>
 *
 * <p>Jinjava's expression parser is replaced by {@link ChatTemplateSyntax}, which parses three constructs as jinja2 does
 * (a keyword argument's value is a whole expression: {@code namespace(i=messages|length - 1)}; {@code not} binds looser
 * than comparisons and tests: {@code not x is defined}; slices with a step: {@code messages[::-1]}), and
 * {@link #render(List, boolean, Map)} passes extra variables as {@code apply_chat_template}'s keyword arguments do
 * ({@code enable_thinking}).
 *
 * <p>Known differences, which real chat templates avoid (they test booleans and serialise with {@code tojson}):
 * a boolean printed with {@code {{ }}} comes out {@code true} (jinja2: {@code True}), {@code none} as an empty string
 * ({@code None}), and a printed dict does not escape its strings the way Python's {@code repr} does. String
 * literals with backslash-u escapes are refused (below). Lists print as Python prints them.
 *
 * <p>Anything else Jinjava cannot render (an unknown function such as {@code strftime_now}, a method it cannot find,
 * a syntax error) fails with {@link ChatTemplateException.Kind#UNSUPPORTED} and a message naming the template's file:
 * a prompt that differs from the model's training format is never produced silently. {@link #check()} renders a
 * one-message conversation so that such a template is refused when the model is loaded, not at the first request.
 * Parity is tested against transformers on two fixture templates in the Qwen (ChatML) and Llama 3 shapes and on the
 * real templates of Qwen3, Llama 3, Llama 3.1 (the short one of the npm packages), DeepSeek V3 and Gemma 3.
 *
 * <p>Thread-safe: every render uses its own interpreter.
 */
public final class ChatTemplate {
  private static final java.util.Set<String> RESERVED =
      java.util.Set.of("messages", "add_generation_prompt", "tools", "documents");

  private final String source;
  private final String renderedSource;
  private final String origin;
  private final Map<String, Object> specialTokens;
  private final Jinjava jinjava;

  private ChatTemplate(String source, String origin, Map<String, Object> specialTokens) {
    this.source = source;
    this.renderedSource = withoutTrailingNewline(source);
    this.origin = origin;
    this.specialTokens = specialTokens;
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonStringMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        // jinja2 drops one newline at the end of the template source (see the constructor), never one the
        // template renders; Jinjava's "false" drops it from the output
        .withKeepTrailingNewline(true)
        .withFailOnUnknownTokens(false)
        // Jinjava would otherwise render template syntax found in a value (a user's "{% raw %}") a second time
        .withNestedInterpretationEnabled(false)
        .withElResolver(resolver)
        // jinja2's behaviour where Jinjava's own differs: {{- -}} trims, filters bind tighter than operators,
        // values print the Python way, dicts iterate over keys, backslashes only escape inside quotes
        .withLegacyOverrides(LegacyOverrides.newBuilder()
            .withUseTrimmingForNotesAndExpressions(true)
            .withParseWhitespaceControlStrictly(true)
            .withUseNaturalOperatorPrecedence(true)
            .withUsePyishObjectMapper(true)
            .withIterateOverMapKeys(true)
            .withEvaluateMapKeys(true)
            .withKeepNullableLoopValues(true)
            .withHandleBackslashInQuotesOnly(true)
            .build())
        .build();
    // jinja2's expression syntax where Jinjava's differs (ChatTemplateSyntax); the features are those Jinjava's own
    // factory gets from its default profile
    ExpressionFactory expressions = new ExpressionFactoryImpl(new TreeStore(
        new ChatTemplateSyntax(Builder.Feature.METHOD_INVOCATIONS, Builder.Feature.VARARGS), new Cache(1000)),
        new TruthyTypeConverter());
    this.jinjava = new Jinjava(config) {
      @Override
      public ExpressionFactory getExpressionFactory() {
        return expressions;
      }
    };
    jinjava.getGlobalContext().registerFunction(
        new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raise", String.class));
    jinjava.getGlobalContext().registerFilter(new ToJson());
    jinjava.getGlobalContext().registerFilter(new Trim());
    jinjava.getGlobalContext().registerFilter(new Length("length"));
    jinjava.getGlobalContext().registerFilter(new Length("count"));
  }

  /**
   * The chat template of {@code tokenizer}'s directory, with its special tokens as template variables.
   *
   * @throws ModelFormatException when the directory has no chat template, or the template cannot be rendered by
   *     this class (see {@link #check()}); the message names the file
   */
  public static ChatTemplate of(Tokenizer tokenizer) throws ModelFormatException {
    String source = tokenizer.chatTemplateSource().orElseThrow(() -> new ModelFormatException(
        "no chat template: neither chat_template.jinja nor a chat_template entry in tokenizer_config.json"));
    Tokenizer.SpecialTokens s = tokenizer.specialTokens();
    Map<String, Object> tokens = new HashMap<>();
    putIfSet(tokens, "bos_token", s.bos());
    putIfSet(tokens, "eos_token", s.eos());
    putIfSet(tokens, "pad_token", s.pad());
    putIfSet(tokens, "unk_token", s.unk());
    ChatTemplate template = new ChatTemplate(source,
        tokenizer.chatTemplateFile().map(Path::toString).orElse("tokenizer_config.json"), tokens);
    try {
      template.check();
    } catch (ChatTemplateException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
    return template;
  }

  /**
   * A template given as text (tests, or a template kept outside a model directory).
   *
   * @param origin where the template came from, for error messages (e.g. a file name)
   * @param specialTokens variables such as {@code bos_token}; values are strings
   */
  public static ChatTemplate parse(String source, String origin, Map<String, String> specialTokens) {
    return new ChatTemplate(Objects.requireNonNull(source, "source"), Objects.requireNonNull(origin, "origin"),
        Map.copyOf(specialTokens));
  }

  /**
   * Renders a one-message user conversation with the generation prompt, to refuse a template this class cannot
   * render before any request comes.
   *
   * @throws ChatTemplateException when it cannot
   */
  public void check() {
    render(List.of(ChatMessage.user("ping")), true);
  }

  /**
   * The prompt for {@code messages}: what {@code apply_chat_template(messages, tokenize=False,
   * add_generation_prompt=addGenerationPrompt)} returns. Tokenize it without adding special tokens.
   *
   * @throws ChatTemplateException {@link ChatTemplateException.Kind#REFUSED} when the template raised an exception
   *     for these messages, {@link ChatTemplateException.Kind#UNSUPPORTED} when it uses Jinja this class lacks
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /**
   * {@link #render(List, boolean)} with extra template variables, as {@code apply_chat_template(...,
   * **variables)} passes its keyword arguments: Qwen3's {@code enable_thinking=False} is
   * {@code Map.of("enable_thinking", false)}. A variable the template does not read changes nothing.
   *
   * @param variables names to values: strings, booleans, numbers, null, or lists and maps of them
   * @throws IllegalArgumentException when a name is one this class sets ({@code messages},
   *     {@code add_generation_prompt}, {@code tools}, {@code documents}) or is not an identifier
   * @throws ChatTemplateException as {@link #render(List, boolean)}
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
    for (String name : variables.keySet()) {
      if (RESERVED.contains(name) || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("template variable '" + name + "' cannot be set: "
            + (RESERVED.contains(name) ? "render sets it" : "not an identifier"));
      }
    }
    List<Map<String, Object>> list = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("role", m.role());
      map.put("content", m.content());
      list.add(map);
    }
    Map<String, Object> context = new HashMap<>(specialTokens);
    context.putAll(variables);
    context.put("messages", list);
    context.put("add_generation_prompt", addGenerationPrompt);
    // transformers passes tools=None and documents=None; templates test them with "if tools"
    context.put("tools", null);
    context.put("documents", null);
    RenderResult result = jinjava.renderForResult(renderedSource, context);
    for (TemplateError error : result.getErrors()) {
      String raised = raisedMessage(error);
      if (raised != null) {
        throw new ChatTemplateException(ChatTemplateException.Kind.REFUSED,
            "the chat template in " + origin + " refused the conversation: " + raised);
      }
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new ChatTemplateException(ChatTemplateException.Kind.UNSUPPORTED,
            "the chat template in " + origin + " uses Jinja this renderer cannot render exactly (line "
                + error.getLineno() + ", " + error.getFieldName() + "): " + error.getMessage());
      }
    }
    return result.getOutput();
  }

  /** The template text. */
  public String source() {
    return source;
  }

  /** {@code raise_exception} as a template function. Public only because Jinjava calls it reflectively. */
  public static String raise(String message) {
    throw new Raised(message);
  }

  private static String raisedMessage(TemplateError error) {
    for (Throwable t = error.getException(); t != null; t = t.getCause()) {
      if (t instanceof Raised r) {
        return r.getMessage();
      }
    }
    return null;
  }

  /** jinja2's lexer without keep_trailing_newline: one final line break of the source is not part of it. */
  private static String withoutTrailingNewline(String s) {
    if (s.endsWith("\r\n")) {
      return s.substring(0, s.length() - 2);
    }
    return s.endsWith("\n") || s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private static void putIfSet(Map<String, Object> map, String key, String value) {
    if (value != null) {
      map.put(key, value);
    }
  }

  /** What {@code raise_exception} throws inside the engine, recognised again in the render's errors. */
  private static final class Raised extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Raised(String message) {
      super(message);
    }
  }

  /** transformers' {@code tojson}: {@code json.dumps(value, ensure_ascii=False, indent=indent)}. */
  private static final class ToJson implements Filter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
      return PythonJson.dumps(var, indent);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
      return PythonJson.dumps(var, indent == null ? null : ((Number) indent).intValue());
    }
  }

  /** jinja2's {@code trim}: Python's {@code str.strip(chars)}. */
  private static final class Trim implements Filter {
    @Override
    public String getName() {
      return "trim";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      String chars = args.length > 0 ? args[0] : null;
      return var == null ? "" : PythonStringMethods.strip(var.toString(), chars, true, true);
    }
  }

  /** jinja2's {@code length}: Python's {@code len}, which counts a string's code points (Java: UTF-16 units). */
  private record Length(String getName) implements Filter {
    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
      if (var == null) {
        return 0L;
      }
      if (var instanceof CharSequence s) {
        return (long) s.toString().codePointCount(0, s.length());
      }
      if (var instanceof java.util.Collection<?> c) {
        return (long) c.size();
      }
      if (var instanceof Map<?, ?> m) {
        return (long) m.size();
      }
      if (var.getClass().isArray()) {
        return (long) java.lang.reflect.Array.getLength(var);
      }
      throw new IllegalArgumentException("length of a " + var.getClass().getSimpleName());
    }
  }
}
