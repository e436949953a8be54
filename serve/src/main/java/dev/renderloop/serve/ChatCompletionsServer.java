package dev.renderloop.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.ChatModel;
import dev.renderloop.model.ChatTemplateException;
import dev.renderloop.model.Completion;
import dev.renderloop.model.SamplingParams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible HTTP front for a {@link ChatModel}: {@code POST /v1/chat/completions} and
 * {@code GET /v1/models}, so that the agent and the benchmark drive the in-process model with the same client
 * ({@code openai:NAME@http://HOST:PORT/v1}) as a remote one.
 *
 * <p>Accepted request fields: {@code messages} (roles system, user, assistant; content a string, null, or a list of
 * text parts), {@code model} (the served name, or absent), {@code temperature} (0 to 2, default 1; 0 is greedy),
 * {@code top_p}, {@code min_p}, {@code top_k}, {@code repetition_penalty} (the last three as vLLM takes them),
 * {@code max_tokens} or {@code max_completion_tokens} (default: what the context leaves), {@code n} (1 to the
 * configured limit), {@code seed} (default: a random one), {@code stop} (a string or up to 4), {@code logprobs}
 * (the raw model's log-probability of each token), {@code stream} (false only). Other fields are ignored.
 *
 * <p>Errors are OpenAI-shaped ({@code {"error": {"message", "type", "param", "code"}}}): 400 for malformed JSON,
 * missing or bad fields, an unknown role, image content, {@code n} over the limit, a prompt plus {@code max_tokens}
 * beyond the context ("maximum context length", as OpenAI words it) or a conversation the chat template refuses;
 * 413 for a body over the limit; 404 for another model name or path; 405 for another method; 401 without the token
 * when one is set. A conversation with more messages than the context has tokens, or more text than the context's
 * worth of the vocabulary's longest tokens, is refused before it is tokenised. The server keeps running. The HTTP
 * side (limits, errors, auth, {@code /metrics}, shutdown) is {@link HttpService}.
 *
 * <p>Requests are answered by a few threads, but generations are serialised: the model is not thread-safe, so
 * {@link ChatModel#complete} runs one request at a time and the others wait (a request's {@code n} samples are
 * decoded together as one batch).
 */
public final class ChatCompletionsServer implements AutoCloseable {
    /** Most stop strings per request, as OpenAI allows. */
    static final int MAX_STOP = 4;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private final ChatModel model;
    private final String name;
    private final int maxN;
    private final int maxContentBytes;
    private final HttpService http;
    private final AtomicLong ids = new AtomicLong();
    private final long created = System.currentTimeMillis() / 1000;

    private ChatCompletionsServer(ChatModel model, String name, int maxN, HttpService.Options options) throws IOException {
        this.model = model;
        this.name = name;
        this.maxN = maxN;
        this.maxContentBytes = maxContentBytes(model);
        this.http = HttpService.start("serve-model", options, List.of(
                new HttpService.Route("GET", "/v1/models", false, ex -> ex.sendJson(200, models())),
                new HttpService.Route("GET", "/v1/models/", false, ex -> ex.sendJson(200, models())),
                new HttpService.Route("POST", "/v1/chat/completions", false,
                        ex -> ex.sendJson(200, chatCompletion(ex.jsonObject())))), new ServiceMetrics());
    }

    /**
     * Starts serving {@code model} under {@code name} on {@code host:port} (port 0: a free one, see {@link #port()}),
     * without auth. The caller keeps ownership of the model.
     */
    public static ChatCompletionsServer start(ChatModel model, String name, String host, int port, int maxN, int maxBodyBytes)
            throws IOException {
        return start(model, name, maxN, new HttpService.Options(host, port, maxBodyBytes, 4, null, Duration.ofSeconds(5)));
    }

    /** Starts serving {@code model} under {@code name} with the given HTTP options (auth, limits, threads). */
    public static ChatCompletionsServer start(ChatModel model, String name, int maxN, HttpService.Options options)
            throws IOException {
        if (maxN < 1) {
            throw new IllegalArgumentException("maxN must be >= 1, got " + maxN);
        }
        return new ChatCompletionsServer(model, name, maxN, options);
    }

    /** The port the server listens on. */
    public int port() {
        return http.port();
    }

    /** Stops serving (requests in progress get a few seconds to finish); the model stays open. */
    @Override
    public void close() {
        http.close();
    }

    /**
     * The most UTF-8 bytes of message content that can fit the context: every token of the vocabulary decodes to at
     * most {@code longest} bytes, so content of more than {@code context * longest} bytes needs more tokens than the
     * context holds. A piece of a multi-byte character decodes to U+FFFD (3 bytes), which can only raise the bound.
     */
    static int maxContentBytes(ChatModel model) {
        int longest = 1;
        int size = model.tokenizer().size();
        for (int id = 0; id < size; id++) {
            longest = Math.max(longest, model.tokenizer().decode(new long[] {id}, false).getBytes(StandardCharsets.UTF_8).length);
        }
        return (int) Math.min(Integer.MAX_VALUE, (long) model.contextLength() * longest);
    }

    private ObjectNode models() {
        ObjectNode root = JSON.createObjectNode();
        root.put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", name);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "renderloop");
        m.put("max_model_len", model.contextLength());
        return root;
    }

    private ObjectNode chatCompletion(JsonNode req) throws HttpError {
        if (req.path("stream").asBoolean(false)) {
            throw HttpError.bad("stream", "stream=true is not supported by renderloop serve-model; send stream=false");
        }
        JsonNode modelName = req.get("model");
        if (modelName != null && !modelName.isNull() && !modelName.asText().equals(name)) {
            throw new HttpError(404, "invalid_request_error", "model", "The model `" + modelName.asText()
                    + "` does not exist; this server serves `" + name + "`");
        }
        List<ChatMessage> messages = messages(req.get("messages"), model.contextLength(), maxContentBytes);
        int n = intField(req, "n", 1, 1, maxN);
        double temperature = number(req, "temperature", 1.0, 0, 2, true);
        double topP = number(req, "top_p", 1.0, 0, 1, false);
        double minP = number(req, "min_p", 0.0, 0, 1, true);
        double penalty = number(req, "repetition_penalty", 1.0, 0, Double.MAX_VALUE, false);
        int topK = intField(req, "top_k", 0, -1, Integer.MAX_VALUE);
        long seed = req.hasNonNull("seed") ? longField(req, "seed") : ThreadLocalRandom.current().nextLong();
        List<String> stop = stops(req.get("stop"));
        boolean logprobs = req.path("logprobs").asBoolean(false);

        ChatModel.Prompt prompt;
        try {
            prompt = model.prompt(messages);
        } catch (ChatTemplateException e) {
            if (e.kind() == ChatTemplateException.Kind.REFUSED) {
                throw HttpError.bad("messages", e.getMessage());
            }
            throw e;
        }
        int room = model.contextLength() - prompt.ids().length;
        String maxField = req.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        int maxTokens = req.hasNonNull(maxField) ? intField(req, maxField, 1, 1, Integer.MAX_VALUE) : room;
        if (maxTokens > room || room < 1) {
            throw HttpError.bad(maxField, "This model's maximum context length is " + model.contextLength()
                    + " tokens. However, you requested " + (prompt.ids().length + maxTokens) + " tokens ("
                            + prompt.ids().length + " in the messages, " + maxTokens + " in the completion).");
        }
        SamplingParams params = new SamplingParams(temperature, Math.max(topK, 0), topP, minP, penalty, maxTokens,
                Set.of(), seed);
        List<Completion> completions = model.complete(prompt, params, stop, n);

        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-" + Long.toHexString(System.nanoTime()) + "-" + ids.incrementAndGet());
        root.put("object", "chat.completion");
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", name);
        ArrayNode choices = root.putArray("choices");
        long completionTokens = 0;
        for (int i = 0; i < completions.size(); i++) {
            Completion c = completions.get(i);
            completionTokens += c.completionTokens();
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            choice.putObject("message").put("role", "assistant").put("content", c.text());
            if (logprobs) {
                ArrayNode content = choice.putObject("logprobs").putArray("content");
                long[] tokens = c.sample().tokenIds();
                for (int t = 0; t < tokens.length; t++) {
                    content.addObject().put("token", model.tokenizer().decode(new long[] {tokens[t]}))
                            .put("logprob", c.sample().rawLogProbs()[t]).putArray("top_logprobs");
                }
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason().openAiName());
        }
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", prompt.ids().length);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", prompt.ids().length + completionTokens);
        return root;
    }

    /**
     * The conversation, refused before any tokenising when it cannot fit the context: every message costs at least
     * one token (the chat templates mark each message's role), and content over {@code maxContentBytes} needs more
     * tokens than the context has (see {@link #maxContentBytes}). A huge request is thus refused in the time it takes
     * to parse it, not after tokenising it.
     */
    static List<ChatMessage> messages(JsonNode node, int contextLength, int maxContentBytes) throws HttpError {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw HttpError.bad("messages", "messages must be a non-empty array");
        }
        if (node.size() >= contextLength) {
            throw HttpError.bad("messages", "This model's maximum context length is " + contextLength + " tokens. However, "
                    + "you sent " + node.size() + " messages, and each takes at least one token.");
        }
        long contentBytes = 0;
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String param = "messages[" + i + "]";
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw HttpError.bad(param, param + " must be an object with a string role");
            }
            String role = m.get("role").asText();
            if (!ROLES.contains(role)) {
                throw HttpError.bad(param + ".role", "unknown role '" + role + "' (this server takes system, user and"
                        + " assistant)");
            }
            String content = content(m.get("content"), param + ".content");
            contentBytes += utf8Length(content);
            if (contentBytes > maxContentBytes) {
                throw HttpError.bad("messages", "This model's maximum context length is " + contextLength + " tokens. "
                        + "However, the messages hold more than " + maxContentBytes + " bytes of text, more than "
                        + contextLength + " of the model's longest tokens can spell.");
            }
            out.add(new ChatMessage(role, content));
        }
        return out;
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    private static String content(JsonNode c, String param) throws HttpError {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                String type = part.path("type").asText("");
                if (type.equals("text") && part.path("text").isTextual()) {
                    text.append(part.get("text").asText());
                } else if (type.equals("image_url") || type.equals("input_image") || type.equals("image")) {
                    throw HttpError.bad(param, "image content is not supported: the served model reads text only");
                } else {
                    throw HttpError.bad(param, "unsupported content part of type '" + type + "'");
                }
            }
            return text.toString();
        }
        throw HttpError.bad(param, param + " must be a string, null or a list of text parts");
    }

    private static List<String> stops(JsonNode node) throws HttpError {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isTextual()) {
            out.add(node.asText());
        } else if (node.isArray()) {
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw HttpError.bad("stop", "stop must be a string or a list of strings");
                }
                out.add(s.asText());
            }
        } else {
            throw HttpError.bad("stop", "stop must be a string or a list of strings");
        }
        if (out.size() > MAX_STOP) {
            throw HttpError.bad("stop", "at most " + MAX_STOP + " stop strings, got " + out.size());
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw HttpError.bad("stop", "stop strings must not be empty");
        }
        return out;
    }

    private static int intField(JsonNode req, String field, int dflt, int min, int max) throws HttpError {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw HttpError.bad(field, field + " must be an integer in [" + min + ", " + max + "], got " + v);
        }
        return v.asInt();
    }

    private static long longField(JsonNode req, String field) throws HttpError {
        JsonNode v = req.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw HttpError.bad(field, field + " must be an integer, got " + v);
        }
        return v.asLong();
    }

    private static double number(JsonNode req, String field, double dflt, double min, double max, boolean minIncluded)
            throws HttpError {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        double d = v.asDouble();
        if (!v.isNumber() || !(minIncluded ? d >= min : d > min) || !(d <= max)) {
            throw HttpError.bad(field, field + " must be a number in " + (minIncluded ? "[" : "(") + min + ", " + max
                    + "], got " + v);
        }
        return d;
    }
}
