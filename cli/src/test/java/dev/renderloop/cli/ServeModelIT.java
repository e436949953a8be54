package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.model.ChatMessage;
import dev.renderloop.model.CausalLm;
import dev.renderloop.model.ChatModel;
import dev.renderloop.model.LoraAdapter;
import dev.renderloop.model.LoraConfig;
import dev.renderloop.model.SamplingParams;
import dev.renderloop.serve.ChatCompletionsServer;
import dev.renderloop.policy.Candidate;
import dev.renderloop.policy.Conversation;
import dev.renderloop.policy.ImageContent;
import dev.renderloop.policy.Message;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Purpose;
import dev.renderloop.policy.Sampling;
import dev.renderloop.task.Task;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve-model}'s server on the tiny chat checkpoint (random weights, trained tokenizer), driven through the
 * project's own OpenAI client and through raw HTTP. The text is gibberish; seeds, counts, stops and errors are not.
 */
class ServeModelIT {
    static final Path MODEL = Path.of("../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat");
    static final ObjectMapper JSON = new ObjectMapper();
    static final Task TASK = new Task("t1", "svg", "Draw a circle", "<svg/>", null, null);
    static final Conversation CONVERSATION = Conversation.of("You write SVG.", Message.user("Draw a red circle."));

    static ChatModel model;
    static ChatCompletionsServer server;
    static Policy policy;
    static String base;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        model = ChatModel.load(MODEL);
        server = ChatCompletionsServer.start(model, "tiny", "127.0.0.1", 0, 4, 64 * 1024);
        base = "http://127.0.0.1:" + server.port() + "/v1";
        policy = Policies.create("openai:tiny@" + base, null, 2, Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        policy.close();
        server.close();
        model.close();
    }

    static PolicyResponse ask(int n, Sampling sampling) {
        return policy.respond(new PolicyRequest(TASK, CONVERSATION, Purpose.GENERATE, n, sampling));
    }

    static List<String> texts(PolicyResponse r) {
        return r.candidates().stream().map(Candidate::text).toList();
    }

    @Test
    void seededSamplesAreReproducibleAndUsageCountsTheTokens() {
        Sampling s = new Sampling(1.0, 0.95, 0.0, 12, 42L, true);
        PolicyResponse a = ask(3, s);
        assertTrue(a.ok(), a.error());
        assertEquals(3, a.candidates().size());
        PolicyResponse b = ask(3, s);
        assertEquals(texts(a), texts(b));
        PolicyResponse c = ask(3, new Sampling(1.0, 0.95, 0.0, 12, 43L, true));
        assertNotEquals(texts(a), texts(c));

        int promptTokens = model.prompt(List.of(ChatMessage.system("You write SVG."),
                ChatMessage.user("Draw a red circle."))).ids().length;
        assertEquals(promptTokens, a.usage().promptTokens());
        long completionTokens = 0;
        for (Candidate candidate : a.candidates()) {
            // with n > 1 the client counts a candidate's tokens by its log-probabilities, one per token
            assertTrue(candidate.completionTokens() >= 1 && candidate.completionTokens() <= 12);
            assertTrue(List.of("stop", "length").contains(candidate.finishReason()), candidate.finishReason());
            assertEquals(candidate.finishReason().equals("length"), candidate.completionTokens() == 12);
            completionTokens += candidate.completionTokens();
        }
        assertEquals(completionTokens, a.usage().completionTokens());
    }

    @Test
    void greedyIsTheSameWhateverTheSeed() {
        PolicyResponse a = ask(1, new Sampling(0.0, null, null, 8, 1L, false));
        PolicyResponse b = ask(1, new Sampling(0.0, null, null, 8, 2L, false));
        assertTrue(a.ok(), a.error());
        assertEquals(texts(a), texts(b));
    }

    @Test
    void stopStringsCutTheTextLikeOpenAi() throws Exception {
        String body = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":40,"
                + "\"seed\":9,\"temperature\":1.0";
        JsonNode free = post(body + "}", 200);
        String text = free.at("/choices/0/message/content").asText();
        assertEquals("length", free.at("/choices/0/finish_reason").asText());
        assertTrue(text.length() >= 12, text);
        String stop = text.substring(8, 11);
        JsonNode stopped = post(body + ",\"stop\":[\"\\u0000never\"," + JSON.writeValueAsString(stop) + "]}", 200);
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.at("/choices/0/message/content").asText());
        assertEquals("stop", stopped.at("/choices/0/finish_reason").asText());
        assertTrue(stopped.at("/usage/completion_tokens").asInt() < free.at("/usage/completion_tokens").asInt());
        JsonNode single = post(body + ",\"stop\":" + JSON.writeValueAsString(stop) + "}", 200);
        assertEquals(stopped.at("/choices/0/message/content"), single.at("/choices/0/message/content"));
        assertEquals(free.at("/usage/prompt_tokens"), stopped.at("/usage/prompt_tokens"));
        assertEquals(stopped.at("/usage/prompt_tokens").asInt() + stopped.at("/usage/completion_tokens").asInt(),
                stopped.at("/usage/total_tokens").asInt());
    }

    @Test
    void answersHaveOpenAisShape() throws Exception {
        JsonNode r = post("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}],"
                + "\"max_completion_tokens\":3,\"n\":2,\"logprobs\":true}", 200);
        assertEquals("chat.completion", r.get("object").asText());
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("tiny", r.get("model").asText());
        assertTrue(r.get("created").asLong() > 1_600_000_000L);
        assertEquals(2, r.get("choices").size());
        int tokens = 0;
        for (int i = 0; i < 2; i++) {
            JsonNode choice = r.get("choices").get(i);
            assertEquals(i, choice.get("index").asInt());
            assertEquals("assistant", choice.at("/message/role").asText());
            assertTrue(choice.at("/message/content").isTextual());
            tokens += choice.at("/logprobs/content").size();
            for (JsonNode t : choice.at("/logprobs/content")) {
                assertTrue(t.get("logprob").asDouble() <= 0);
            }
        }
        assertEquals(tokens, r.at("/usage/completion_tokens").asInt());
        JsonNode models = get("/models", 200);
        assertEquals("tiny", models.at("/data/0/id").asText());
        assertEquals(512, models.at("/data/0/max_model_len").asInt());
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerKeepsServing() throws Exception {
        String user = "[{\"role\":\"user\",\"content\":\"hi\"}]";
        expectError("{not json", 400, "not JSON");
        expectError("[1,2]", 400, "JSON object");
        expectError("{\"max_tokens\":3}", 400, "messages");
        expectError("{\"messages\":[]}", 400, "messages");
        expectError("{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", 400, "unknown role 'tool'");
        expectError("{\"messages\":[{\"content\":\"x\"}]}", 400, "string role");
        expectError("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":"
                + "{\"url\":\"data:image/png;base64,AA==\"}}]}]}", 400, "image content is not supported");
        expectError("{\"messages\":" + user + ",\"n\":5}", 400, "n must be an integer in [1, 4]");
        expectError("{\"messages\":" + user + ",\"temperature\":-1}", 400, "temperature");
        expectError("{\"messages\":" + user + ",\"max_tokens\":0}", 400, "max_tokens");
        expectError("{\"messages\":" + user + ",\"max_tokens\":100000}", 400, "maximum context length is 512");
        expectError("{\"messages\":" + user + ",\"stop\":[\"\"]}", 400, "stop");
        expectError("{\"messages\":" + user + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "at most 4");
        expectError("{\"messages\":" + user + ",\"stop\":3}", 400, "stop");
        expectError("{\"messages\":" + user + ",\"stream\":true}", 400, "stream=true is not supported");
        expectError("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"system\",\"content\":\"b\"}]}",
                400, "may only come first");
        expectError("{\"messages\":" + user + ",\"content\":\"" + "x".repeat(70 * 1024) + "\"}", 413,
                "request body over");
        // more messages than the context has tokens, and more text than the context's worth of the longest tokens:
        // refused before tokenising (issue 14)
        expectError("{\"messages\":[" + String.join(",", java.util.Collections.nCopies(600, "{\"role\":\"user\","
                + "\"content\":\"\"}")) + "]}", 400, "600 messages");
        expectError("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "ab ".repeat(20_000) + "\"}]}", 400,
                "bytes of text");
        expectError("{\"model\":\"other\",\"messages\":" + user + "}", 404, "does not exist");
        assertEquals(404, send(HttpRequest.newBuilder(URI.create(base + "/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode());
        assertEquals(405, send(HttpRequest.newBuilder(URI.create(base + "/chat/completions")).GET().build())
                .statusCode());

        // through the client: the status codes map to its error kinds
        PolicyResponse image = policy.respond(new PolicyRequest(TASK, Conversation.of("s",
                Message.user("look", List.of(ImageContent.png(new byte[] {1})))), Purpose.GENERATE, 1,
                Sampling.greedy(4)));
        assertEquals(PolicyErrorKind.BAD_REQUEST, image.errorKind(), image.error());
        PolicyResponse tooLong = ask(1, Sampling.greedy(100_000));
        assertEquals(PolicyErrorKind.CONTEXT_TOO_LONG, tooLong.errorKind(), tooLong.error());
        PolicyResponse fine = ask(1, Sampling.greedy(4));
        assertTrue(fine.ok(), fine.error());
    }

    /**
     * Issue 14: a 7.8 MB request of 260,000 messages took 6 GB and 15 s because it was tokenised before the context
     * check. It is now refused while parsing: a 400 within a few seconds, and the server still answers.
     */
    @Test
    void aHugeConversationIsRefusedBeforeTokenising() throws Exception {
        try (ChatCompletionsServer big = ChatCompletionsServer.start(model, "tiny", "127.0.0.1", 0, 4, 16 << 20)) {
            String message = "{\"role\":\"user\",\"content\":\"" + "x".repeat(20) + "\"}";
            StringBuilder body = new StringBuilder("{\"messages\":[");
            for (int i = 0; i < 260_000; i++) {
                body.append(i == 0 ? "" : ",").append(message);
            }
            body.append("]}");
            assertTrue(body.length() > 7_800_000, "the request of issue 14 is about 7.8 MB");
            long start = System.nanoTime();
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + big.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("260000 messages"), r.body());
            assertTrue(seconds < 5, "refused in " + seconds + " s");
            String longText = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(1_500_000) + "\"}]}";
            HttpResponse<String> t = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + big.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(longText)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, t.statusCode(), t.body());
            assertTrue(t.body().contains("bytes of text"), t.body());
        }
        assertTrue(ask(1, Sampling.greedy(4)).ok());
    }

    @Test
    void theLocalPolicyAnswersAsTheServerDoes() {
        Sampling s = new Sampling(0.8, 0.9, 0.05, 10, 77L, true);
        PolicyResponse remote = ask(2, s);
        try (Policy local = Policies.create("local:" + MODEL, null, 1, Duration.ofSeconds(60))) {
            assertEquals("local:" + MODEL, local.name());
            PolicyResponse answer = local.respond(new PolicyRequest(TASK, CONVERSATION, Purpose.GENERATE, 2, s));
            assertTrue(answer.ok(), answer.error());
            assertEquals(texts(remote), texts(answer));
            assertEquals(remote.usage(), answer.usage());
            for (int i = 0; i < 2; i++) {
                assertEquals(remote.candidates().get(i).tokenLogprobs().size(),
                        answer.candidates().get(i).completionTokens());
                assertEquals(remote.candidates().get(i).finishReason(), answer.candidates().get(i).finishReason());
            }
            PolicyResponse tooLong = local.respond(new PolicyRequest(TASK, CONVERSATION, Purpose.GENERATE, 1,
                    Sampling.greedy(100_000)));
            assertEquals(PolicyErrorKind.CONTEXT_TOO_LONG, tooLong.errorKind());
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Policies.create("local:" + MODEL + "+/no/such/lora", null, 1, Duration.ofSeconds(60)));
        assertTrue(e.getMessage().contains("/no/such/lora"), e.getMessage());
    }

    @Test
    void anAdapterChangesWhatIsServedAndEqualsTheInProcessAdaptedModel(@TempDir Path dir) throws Exception {
        Path adapterDir = dir.resolve("adapter");
        try (ChatModel plain = ChatModel.load(MODEL)) {
            var config = new LoraConfig(4, 8, 0, List.of("q_proj", "v_proj", "down_proj"), false);
            try (CausalLm lm = CausalLm.load(MODEL);
                    LoraAdapter adapter = LoraAdapter.initialise(config, lm.config(), "qwen2-tiny-chat", 3)) {
                SplittableRandom random = new SplittableRandom(5);
                for (var e : adapter.parameters().entrySet()) {
                    if (e.getKey().contains("lora_B")) {  // B = 0 would leave the model unchanged
                        float[] values = new float[Math.toIntExact(e.getValue().size())];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) (random.nextDouble() - 0.5);
                        }
                        e.getValue().set(values);
                    }
                }
                adapter.save(adapterDir);
            }
        }
        try (ChatModel adapted = ChatModel.load(MODEL, adapterDir);
                ChatCompletionsServer tuned = ChatCompletionsServer.start(adapted, "tuned", "127.0.0.1", 0, 4, 64 * 1024);
                Policy tunedPolicy = Policies.create("openai:tuned@http://127.0.0.1:" + tuned.port() + "/v1", null, 1,
                        Duration.ofSeconds(120))) {
            PolicyResponse base = ask(1, Sampling.greedy(12));
            PolicyResponse viaServer = tunedPolicy.respond(
                    new PolicyRequest(TASK, CONVERSATION, Purpose.GENERATE, 1, Sampling.greedy(12)));
            assertTrue(base.ok() && viaServer.ok(), base.error() + " / " + viaServer.error());
            assertNotEquals(texts(base), texts(viaServer), "the adapter should change the greedy text");
            try (ChatModel direct = ChatModel.load(MODEL, adapterDir)) {
                var prompt = direct.prompt(List.of(ChatMessage.system("You write SVG."),
                        ChatMessage.user("Draw a red circle.")));
                String text = direct.complete(prompt, SamplingParams.greedy(12, java.util.Set.of()), List.of(), 1).get(0).text();
                assertEquals(List.of(text), texts(viaServer));
            }
        }
    }

    @Test
    void theCommandRefusesAMissingAdapterAndABadModelDirectory() {
        CliRun adapter = CliRun.of("serve-model", "--model", MODEL.toString(), "--adapter", "/no/such/lora", "--port", "0");
        assertEquals(ExitCode.USAGE, adapter.exitCode());
        assertTrue(adapter.err().contains("/no/such/lora"), adapter.err());
        CliRun missing = CliRun.of("serve-model", "--model", "/no/such/model", "--port", "0");
        assertEquals(ExitCode.USAGE, missing.exitCode());
        assertTrue(missing.err().contains("/no/such/model"), missing.err());
    }

    static void expectError(String body, int status, String fragment) throws Exception {
        JsonNode e = post(body, status);
        String message = e.at("/error/message").asText();
        assertTrue(message.contains(fragment), body.substring(0, Math.min(120, body.length())) + " -> " + message);
        assertTrue(e.at("/error/type").isTextual());
    }

    static JsonNode post(String body, int status) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(status, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static JsonNode get(String path, int status) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
        assertEquals(status, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
