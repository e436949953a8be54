package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop generate} end to end with real renders and the policies that need no model. */
class GenerateCommandIT {
    static final String CHART = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5], color='red')\nplt.title('two bars')\nplt.savefig('x.png')\n";

    @TempDir
    Path dir;

    private CliRun generate(String... args) {
        String[] base = {"generate", "--no-cache"};
        String[] all = new String[base.length + args.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(args, 0, all, base.length, args.length);
        return CliRun.of(all);
    }

    @Test
    void ritlWithSeededDefectsRepairsAndLogsEveryAttempt() throws Exception {
        Path ref = Files.writeString(dir.resolve("ref.py"), CHART);
        Path out = dir.resolve("run");
        // Seed 3 breaks the program (checked below), so the log must show the repair.
        CliRun run = generate("--domain", "matplotlib", "--strategy", "ritl", "--policy", "oracle-defects:3",
                "--reference", ref.toString(), "--out", out.toString(), "Two red bars titled two bars");
        assertEquals(0, run.exitCode(), run.err() + run.out());
        List<String> log = Files.readAllLines(out.resolve("attempts.jsonl"));
        assertEquals(2, log.size(), run.out());
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(log.get(0));
        assertEquals("generate", first.get("step").asText());
        assertEquals("error", first.get("render").get("status").asText());
        assertTrue(first.get("note").asText().startsWith("defect: "));
        assertEquals("Two red bars titled two bars", first.get("prompt").get(1).get("text").asText().lines()
                .filter(l -> !l.startsWith("<")).findFirst().orElseThrow());
        JsonNode second = json.readTree(log.get(1));
        assertEquals("repair", second.get("step").asText());
        assertEquals(1.0, second.get("scores").get("codebleu").asDouble(), 1e-9, "the clean reference against itself");
        assertEquals(1.0, second.get("scores").get("ssim").asDouble(), 1e-9);
        assertEquals(0.0, first.get("scores").get("tiled").asDouble(), "a failed render scores 0 visually");
        assertTrue(first.get("scores").get("codebleu").asDouble() < 1.0);
        assertTrue(second.get("scores").get("vs_paper").asText().startsWith("unavailable"), "no CLIP model given");
        assertEquals("ok", second.get("render").get("status").asText());
        assertEquals(CHART, Files.readString(out.resolve("final.py")));
        assertTrue(Files.isRegularFile(out.resolve("render/frame_00000.png")));
        JsonNode record = json.readTree(out.resolve("run.json").toFile());
        assertTrue(record.get("success").asBoolean());
        assertEquals(1, record.get("repairs").asInt());
        assertEquals("oracle-defects:3", record.get("provenance").get("policy").asText());
        assertTrue(run.out().contains("round 1 repair"), run.out());
    }

    @Test
    void retrievalOnTheBundledSvgSuite() throws Exception {
        Path out = dir.resolve("svg");
        CliRun run = generate("--domain", "svg", "--strategy", "vanilla", "--policy", "retrieval", "--out", out.toString(),
                "a red circle in the middle");
        assertEquals(0, run.exitCode(), run.err() + run.out());
        assertTrue(Files.readString(out.resolve("final.svg")).contains("<svg"));
        assertTrue(run.out().contains("[retrieved "), run.out());
    }

    @Test
    void anOpenAiCompatibleServerDrivesTheLoop() throws Exception {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        server.createContext("/v1/chat/completions", exchange -> {
            JsonNode request = new ObjectMapper().readTree(exchange.getRequestBody());
            String content = calls.getAndIncrement() == 0
                    ? "```python\nimport matplotlib.pyplot as plt\nplt.plto([1, 2])\n```"
                    : "```python\n" + CHART + "```";
            var answer = new ObjectMapper().createObjectNode();
            var choice = answer.putArray("choices").addObject();
            choice.putObject("message").put("role", "assistant").put("content", content);
            choice.put("finish_reason", "stop");
            answer.putObject("usage").put("prompt_tokens", request.toString().length() / 4).put("completion_tokens", 20);
            String body = answer.toString();
            byte[] out = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        server.start();
        try {
            Path out = dir.resolve("openai");
            CliRun run = generate("--domain", "matplotlib", "--strategy", "ritl", "--policy",
                    "openai:tiny-coder@http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "--out", out.toString(), "Two red bars");
            assertEquals(0, run.exitCode(), run.err() + run.out());
            assertEquals(2, calls.get());
            List<String> log = Files.readAllLines(out.resolve("attempts.jsonl"));
            JsonNode repair = new ObjectMapper().readTree(log.get(1));
            assertEquals(20, repair.get("completion_tokens").asInt());
            assertTrue(repair.get("prompt").get(1).get("text").asText().contains("plto"), "the error went back to the model");
            assertTrue(repair.get("scores").isEmpty(), "no reference, no scores");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badInputsAreUsageErrorsWithClearMessages() {
        Path ref = dir.resolve("missing.py");
        record Case(List<String> args, String message) {
        }
        List<Case> cases = List.of(
                new Case(List.of("--domain", "svg", "--policy", "retrieval", "   "), "non-empty DESCRIPTION"),
                new Case(List.of("--domain", "svg", "--strategy", "ritl-x", "--policy", "retrieval", "x"), "unknown strategy"),
                new Case(List.of("--domain", "svg", "--policy", "gpt4", "x"), "bad policy spec"),
                new Case(List.of("--domain", "svg", "--policy", "oracle", "x"), "give --task or --reference"),
                new Case(List.of("--domain", "svg", "--policy", "oracle", "--reference", ref.toString(), "x"), "no such reference file"),
                new Case(List.of("--domain", "svg", "--policy", "retrieval", "--target", ref.toString()), "no such target image"),
                new Case(List.of("--domain", "svg", "--strategy", "ritl-doc", "--policy", "retrieval", "x"), "only manim, matplotlib and rdkit"),
                new Case(List.of("--domain", "manim", "--policy", "retrieval", "x"), "needs --corpus"),
                new Case(List.of("--domain", "svg", "--policy", "oracle", "--task", "nope", "x"), "no task nope"));
        for (Case c : cases) {
            CliRun run = generate(c.args().toArray(String[]::new));
            assertEquals(2, run.exitCode(), c.args() + ": " + run.err());
            assertTrue(run.err().contains(c.message()), c.args() + ": " + run.err());
            assertFalse(run.err().contains("Exception"), run.err());
        }
    }
}
