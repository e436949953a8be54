package dev.renderloop.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reward service over real HTTP on loopback, with the real render engine (svg in-process, matplotlib on the warm
 * Python workers; tests that need matplotlib skip with the reason where it is missing).
 */
class RewardServiceIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String SVG_REF = "<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'>"
            + "<rect width='100' height='100' fill='white'/><circle cx='50' cy='50' r='30' fill='red'/></svg>";
    static final String SVG_NEAR = SVG_REF.replace("r='30'", "r='26'");
    static final String PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\n";

    @TempDir
    static Path cache;
    @TempDir
    static Path images;

    static RenderEngine engine;
    static ReferenceScorer scorer;
    static RewardService service;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        engine = RenderEngine.builder().workers(2).cacheDir(cache).build();
        scorer = new ReferenceScorer(engine, null, null, null);
        service = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withRenderTimeout(Duration.ofSeconds(8)).withImageRoot(images).withQueue(16, 2)
                .withLimits(1 << 20, 16, 4096));
        base = "http://127.0.0.1:" + service.port();
    }

    @AfterAll
    static void stop() {
        service.close();
        scorer.close();
        engine.close();
    }

    static void assumeMatplotlib() {
        var a = engine.availability("matplotlib");
        Assumptions.assumeTrue(a.available(), "matplotlib workers unavailable: " + a.detail());
    }

    static ObjectNode item(String id, String domain, String code, String reference) {
        ObjectNode it = JSON.createObjectNode().put("id", id).put("domain", domain).put("code", code);
        return reference == null ? it : it.put("reference_code", reference);
    }

    static List<String> fieldNames(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        java.util.Collections.sort(names);
        return names;
    }

    static String batch(ObjectNode... items) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray("items");
        for (ObjectNode i : items) {
            a.add(i);
        }
        return root.toString();
    }

    static HttpResponse<String> post(String url, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode score(String body) throws Exception {
        HttpResponse<String> r = post(base, "/v1/score", body, null);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> get(String url, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A matplotlib program that sleeps first; unique, so that no cache answers it. */
    static String slowPlot(double seconds) {
        return "import time\ntime.sleep(" + seconds + ")\n# " + UUID.randomUUID() + "\n" + PLOT;
    }

    static void awaitIdle(RewardService s) throws InterruptedException {
        long end = System.nanoTime() + 30_000_000_000L;
        while (metric(s, "renderloop_reward_items_running") + metric(s, "renderloop_reward_queue_depth") > 0
                && System.nanoTime() < end) {
            Thread.sleep(100);
        }
    }

    /** The value of an unlabelled gauge or counter. */
    static double metric(RewardService s, String name) {
        for (String line : s.metrics().prometheusText().lines().toList()) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        return 0;
    }

    @Test
    void aBatchScoresEveryItemInOrderAndAHostileOneFailsAlone() throws Exception {
        assumeMatplotlib();
        String answer = "Here it is:\n```svg\n" + SVG_NEAR + "\n```\n";
        JsonNode r = score(batch(
                JSON.createObjectNode().put("id", "answer").put("domain", "svg").put("answer", answer).put("reference_code", SVG_REF),
                item("same", "svg", SVG_REF, SVG_REF),
                item("broken-svg", "svg", "<svg><circle", SVG_REF),
                item("memory-bomb", "matplotlib", "x = bytearray(1 << 40)\n" + PLOT, PLOT),
                item("fork-bomb", "matplotlib", "import os\nwhile True:\n    os.fork()\n", PLOT),
                item("plot", "matplotlib", PLOT.replace("9]", "8]"), PLOT).put("metrics", "all")));
        JsonNode items = r.get("items");
        assertEquals(List.of("answer", "same", "broken-svg", "memory-bomb", "fork-bomb", "plot"),
                List.of(items.get(0).get("id").asText(), items.get(1).get("id").asText(), items.get(2).get("id").asText(),
                        items.get(3).get("id").asText(), items.get(4).get("id").asText(), items.get(5).get("id").asText()));
        for (JsonNode it : items) {
            assertEquals("scored", it.get("status").asText(), it.toString());
            assertTrue(it.get("timing").get("total_ms").asLong() >= 0);
        }
        JsonNode ans = items.get(0);
        assertTrue(ans.get("format_ok").asBoolean(), ans.toString());
        assertEquals("ok", ans.at("/render/status").asText());
        double ansReward = ans.get("reward").asDouble();
        assertTrue(ansReward > 0.1 && ansReward < 1.0, ans.toString());
        assertEquals(1.0, ans.at("/components/reward_format").asDouble());
        JsonNode same = items.get(1);
        assertTrue(same.get("format_ok").isNull());
        assertEquals(1.0, same.at("/metrics/tiled").asDouble(), 1e-9, same.toString());
        // By default only the metrics of the item's reward (VinciCoder's: tiled) are computed, and blank.
        assertEquals(List.of("blank", "tiled"), fieldNames(same.get("metrics")), same.toString());
        assertTrue(same.get("reward").asDouble() > ansReward, "identical code scores above the near miss");
        JsonNode broken = items.get(2);
        assertEquals("error", broken.at("/render/status").asText());
        assertFalse(broken.at("/render/error_kind").isNull());
        assertEquals(0.1, broken.get("reward").asDouble(), 1e-9, "VinciCoder: failed render, format met");
        assertTrue(List.of("memory_limit", "runtime_error").contains(items.get(3).at("/render/error_kind").asText()),
                items.get(3).toString());
        assertEquals("error", items.get(4).at("/render/status").asText(), items.get(4).toString());
        JsonNode plot = items.get(5);
        assertEquals("ok", plot.at("/render/status").asText(), plot.toString());
        assertTrue(plot.at("/metrics/ssim").asDouble() > 0.5, plot.toString());
        assertTrue(plot.at("/metrics/vs_corrected_ssim").isNumber(), "metrics: all measures every family: " + plot);
        assertTrue(plot.at("/metrics/codebleu").isNumber(), "Python domains get the code metrics: " + plot);
        assertTrue(plot.get("reward").asDouble() > 0.1);
    }

    @Test
    void aJobThatTriesToKillItsWorkerMidBatchFailsAlone() throws Exception {
        // Since per-job PID namespaces (issue 14) a job cannot signal its worker: os.getppid() is 0 inside the
        // job's namespace, so the kill reaches only the job's own process group. The rest of the batch scores.
        assumeMatplotlib();
        String crash = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time\ntime.sleep(5)\n";
        JsonNode r = score(batch(item("a", "matplotlib", PLOT + "# a\n", PLOT), item("crash", "matplotlib", crash, PLOT),
                item("b", "matplotlib", PLOT + "# b\n", PLOT), item("c", "matplotlib", PLOT + "# c\n", PLOT)));
        JsonNode items = r.get("items");
        assertEquals("error", items.get(1).at("/render/status").asText(), items.get(1).toString());
        assertTrue(items.get(1).get("reward").asDouble() < 0.5, items.get(1).toString());
        for (int i : new int[] {0, 2, 3}) {
            assertEquals("ok", items.get(i).at("/render/status").asText(), items.get(i).toString());
            assertTrue(items.get(i).get("reward").asDouble() > 0.5, items.get(i).toString());
        }
    }

    /**
     * The matplotlib worker processes of this JVM (the Python worker itself, not the bwrap/setpriv launcher whose
     * command line also names worker.py) that are running a job now: a job is a child of its worker.
     */
    static List<ProcessHandle> busyMatplotlibWorkers() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).filter(p -> {
            String parent = p.parent().map(pp -> cmdline(pp.pid())).orElse("");
            return isMatplotlibWorker(cmdline(p.pid())) && !isMatplotlibWorker(parent) && p.children().findAny().isPresent();
        }).toList();
    }

    static boolean isMatplotlibWorker(String cmd) {
        String program = cmd.split(" ", 2)[0];
        return program.contains("python") && cmd.contains("worker.py") && cmd.contains("--driver matplotlib");
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    @Test
    void aWorkerKilledInTheMiddleOfABatch_theBatchCompletesWithEveryItemScored() throws Exception {
        // A job cannot kill its worker (own PID namespace), so the test kills one from outside, as the OOM killer or
        // an operator would: SIGKILL to a matplotlib worker parent while it runs one of the batch's items.
        assumeMatplotlib();
        try (RewardService two = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withRenderTimeout(Duration.ofSeconds(20)).withQueue(16, 2))) {
            String url = "http://127.0.0.1:" + two.port();
            // warm workers and the reference first, so that the kill lands on a job, not on a starting worker
            HttpResponse<String> warm = post(url, "/v1/score", batch(item("w1", "matplotlib", PLOT + "# w1\n", PLOT),
                    item("w2", "matplotlib", PLOT + "# w2\n", PLOT)), null);
            assertEquals(200, warm.statusCode(), warm.body());
            ObjectNode[] slow = new ObjectNode[6];
            for (int i = 0; i < slow.length; i++) {
                slow[i] = item("k" + i, "matplotlib", slowPlot(1.5), PLOT);
            }
            int startsBefore = engine.workersStarted("matplotlib");
            CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return post(url, "/v1/score", batch(slow), null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            List<ProcessHandle> busy = List.of();
            long end = System.nanoTime() + 30_000_000_000L;
            while (busy.isEmpty() && !running.isDone() && System.nanoTime() < end) {
                Thread.sleep(50);
                busy = busyMatplotlibWorkers();
            }
            assertFalse(busy.isEmpty(), "no matplotlib worker was seen running an item of the batch");
            long pid = busy.getFirst().pid();
            // kill(1): the worker runs as another user in the sandbox's namespaces, which ProcessHandle may not signal
            assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor());
            HttpResponse<String> r = running.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode items = JSON.readTree(r.body()).get("items");
            assertEquals(slow.length, items.size());
            for (int i = 0; i < slow.length; i++) {
                JsonNode it = items.get(i);
                assertEquals("k" + i, it.get("id").asText());
                assertEquals("scored", it.get("status").asText(), "the item on the killed worker is tried again: " + it);
                assertEquals("ok", it.at("/render/status").asText(), it.toString());
                assertTrue(it.get("reward").asDouble() > 0.5, it.toString());
            }
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive() || cmdline(pid).isEmpty()).orElse(true),
                    "the killed worker is gone");
            assertEquals(1, two.metrics().counter("renderloop_render_retries_total", "", "domain").value("matplotlib"),
                    two.metrics().prometheusText());
            assertTrue(engine.workersStarted("matplotlib") > startsBefore, "the pool replaced the dead worker");
            // and the service keeps serving
            assertEquals("scored", score(batch(item("after", "matplotlib", PLOT + "# after\n", PLOT))).at("/items/0/status").asText());
        }
    }

    @Test
    void overloadGets429WithRetryAfterAndTheQueueRecovers() throws Exception {
        assumeMatplotlib();
        try (RewardService small = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withQueue(2, 1))) {
            String url = "http://127.0.0.1:" + small.port();
            CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return post(url, "/v1/score", batch(item("s1", "matplotlib", slowPlot(1.5), PLOT),
                            item("s2", "matplotlib", slowPlot(1.5), PLOT)), null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long end = System.nanoTime() + 10_000_000_000L;
            while (metric(small, "renderloop_reward_items_running") < 1 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            HttpResponse<String> refused = post(url, "/v1/score", batch(item("x", "svg", SVG_REF, SVG_REF)), null);
            assertEquals(429, refused.statusCode(), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
            assertTrue(Integer.parseInt(refused.headers().firstValue("Retry-After").get()) >= 1);
            assertTrue(JSON.readTree(refused.body()).at("/error/message").asText().contains("queue is full"));
            HttpResponse<String> done = first.get();
            assertEquals(200, done.statusCode());
            assertEquals("scored", JSON.readTree(done.body()).at("/items/1/status").asText(), done.body());
            assertEquals(200, post(url, "/v1/score", batch(item("y", "svg", SVG_REF, SVG_REF)), null).statusCode());
            assertTrue(small.metrics().prometheusText().contains("renderloop_http_rejected_total{type=\"overloaded\"} 1"));
        }
    }

    @Test
    void itemsStillQueuedAtTheDeadlineAreNeverRendered() throws Exception {
        assumeMatplotlib();
        try (RewardService one = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withQueue(8, 1))) {
            String url = "http://127.0.0.1:" + one.port();
            String body = JSON.readTree(batch(item("d1", "matplotlib", slowPlot(2.5), PLOT), item("d2", "matplotlib",
                    slowPlot(2.5), PLOT), item("d3", "matplotlib", slowPlot(2.5), PLOT))).deepCopy()
                    .toString().replaceFirst("\\{", "{\"deadline_ms\":1200,");
            long start = System.nanoTime();
            HttpResponse<String> r = post(url, "/v1/score", body, null);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(200, r.statusCode(), r.body());
            JsonNode answer = JSON.readTree(r.body());
            assertTrue(seconds < 2.4, "answered at the deadline, not after the batch: " + seconds + " s");
            assertEquals(3, answer.get("deadline_exceeded").asInt(), r.body());
            for (JsonNode it : answer.get("items")) {
                assertEquals("deadline_exceeded", it.get("status").asText());
            }
            awaitIdle(one);
            assertEquals(1, (int) one.metrics().counter("renderloop_renders_total", "", "domain", "status")
                    .value("matplotlib", "ok"), "only the item running at the deadline rendered");
            assertEquals(2, one.metrics().counter("renderloop_reward_items_skipped_total", "", "reason").value("dropped")
                    + one.metrics().counter("renderloop_reward_items_skipped_total", "", "reason").value("deadline_exceeded"));
        }
    }

    @Test
    void aClientThatDisconnectsHasItsQueuedItemsDropped() throws Exception {
        assumeMatplotlib();
        try (RewardService one = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withQueue(8, 1))) {
            byte[] body = batch(item("g1", "matplotlib", slowPlot(1.5), PLOT), item("g2", "matplotlib", slowPlot(1.5), PLOT),
                    item("g3", "matplotlib", slowPlot(1.5), PLOT)).getBytes(StandardCharsets.UTF_8);
            try (Socket socket = new Socket("127.0.0.1", one.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/score HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                Thread.sleep(600);
            }
            long end = System.nanoTime() + 20_000_000_000L;
            ServiceMetrics.Counter skipped = one.metrics().counter("renderloop_reward_items_skipped_total", "", "reason");
            while (skipped.value("dropped") < 2 && System.nanoTime() < end) {
                Thread.sleep(100);
            }
            assertEquals(2, skipped.value("dropped"), one.metrics().prometheusText());
            awaitIdle(one);
            assertEquals(1, one.metrics().counter("renderloop_renders_total", "", "domain", "status").value("matplotlib", "ok"));
            assertTrue(one.metrics().prometheusText().contains("renderloop_reward_disconnects_total 1"));
        }
    }

    @Test
    void aTokenIsRequiredWhenSetButNotByProbes() throws Exception {
        try (RewardService locked = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0)
                .withBearerToken("s3cret-token"))) {
            String url = "http://127.0.0.1:" + locked.port();
            String body = batch(item("x", "svg", SVG_REF, SVG_REF));
            HttpResponse<String> none = post(url, "/v1/score", body, null);
            assertEquals(401, none.statusCode());
            assertTrue(none.body().contains("Authorization: Bearer"), none.body());
            assertEquals(401, post(url, "/v1/score", body, "wrong").statusCode());
            assertEquals(401, get(url, "/metrics").statusCode());
            assertEquals(200, post(url, "/v1/score", body, "s3cret-token").statusCode());
            assertEquals(200, get(url, "/healthz").statusCode());
            assertEquals(200, get(url, "/openapi.json").statusCode());
        }
    }

    @Test
    void badInputsGetClear4xxAndTheServiceKeepsServing() throws Exception {
        expect(400, "{not json", "not JSON");
        expect(400, "[1]", "JSON object");
        expect(400, "{\"items\":[]}", "non-empty array");
        expect(400, batch(item("a", "povray", "x", "y")), "unknown domain 'povray'");
        expect(400, batch(JSON.createObjectNode().put("id", "a").put("domain", "svg").put("reference_code", SVG_REF)),
                "exactly one of answer");
        expect(400, batch(JSON.createObjectNode().put("id", "a").put("domain", "svg").put("code", SVG_REF)),
                "reference_code or reference_image");
        expect(400, batch(item("a", "svg", SVG_REF, SVG_REF), item("a", "svg", SVG_REF, SVG_REF)), "duplicate id");
        expect(413, batch(item("a", "svg", "<svg>" + "x".repeat(5000) + "</svg>", SVG_REF)), "4096 bytes of code");
        expect(400, batch(item("a", "svg", SVG_REF, SVG_REF).put("reward", "nonsense")), "unknown reward spec");
        expect(400, batch(item("a", "svg", SVG_REF, SVG_REF).put("metrics", "some")), "items[0].metrics must be \"reward\"");
        expect(400, batch(item("a", "svg", SVG_REF, SVG_REF).put("metrics", 3)), "items[0].metrics must be \"reward\"");
        expect(400, batch(item("a", "svg", SVG_REF, null).set("reference_image",
                JSON.createObjectNode().put("png_base64", "%%%"))), "not base64");
        expect(400, batch(item("a", "svg", SVG_REF, null).set("reference_image",
                JSON.createObjectNode().put("png_base64", Base64.getEncoder().encodeToString("hello".getBytes())))), "not a PNG");
        expect(400, batch(item("a", "svg", SVG_REF, null).set("reference_image",
                JSON.createObjectNode().put("path", "../../etc/passwd"))), "not a regular file under the server's image root");
        Path outside = Files.createTempFile("outside", ".png");
        Files.createSymbolicLink(images.resolve("link.png"), outside);
        expect(400, batch(item("a", "svg", SVG_REF, null).set("reference_image",
                JSON.createObjectNode().put("path", "link.png"))), "not a regular file");
        expect(400, batch(item("a", "svg", SVG_REF, SVG_REF)).replaceFirst("\\{", "{\"deadline_ms\":-5,"), "deadline_ms");
        ObjectNode many = JSON.createObjectNode();
        ArrayNode a = many.putArray("items");
        for (int i = 0; i < 17; i++) {
            a.add(item("i" + i, "svg", SVG_REF, SVG_REF));
        }
        expect(413, many.toString(), "at most 16 items");
        expect(413, "{\"items\":[\"" + "x".repeat(1_100_000) + "\"]}", "request body over");
        // a 100000 x 100000 PNG header is refused before decoding
        byte[] bomb = pngHeader(100_000, 100_000);
        expect(413, batch(item("a", "svg", SVG_REF, null).set("reference_image",
                JSON.createObjectNode().put("png_base64", Base64.getEncoder().encodeToString(bomb)))), "pixels");
        assertEquals(405, get(base, "/v1/score").statusCode());
        assertEquals(404, get(base, "/v2/nothing").statusCode());
        assertEquals(200, score(batch(item("fine", "svg", SVG_REF, SVG_REF))).at("/items/0/status").asText().equals("scored") ? 200 : 500);
    }

    static byte[] pngHeader(int w, int h) {
        byte[] b = new byte[33];
        byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        System.arraycopy(magic, 0, b, 0, magic.length);
        for (int i = 0; i < 4; i++) {
            b[16 + i] = (byte) (w >>> (24 - 8 * i));
            b[20 + i] = (byte) (h >>> (24 - 8 * i));
        }
        return b;
    }

    static void expect(int status, String body, String fragment) throws Exception {
        HttpResponse<String> r = post(base, "/v1/score", body, null);
        assertEquals(status, r.statusCode(), r.body());
        String message = JSON.readTree(r.body()).at("/error/message").asText();
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
    }

    @Test
    void aReferenceImageIsScoredAgainstByValueOrPathAndCachedPerReplica() throws Exception {
        RenderResult ref = engine.render(RenderRequest.of("svg", SVG_REF));
        assertTrue(ref.ok(), ref.error());
        byte[] png = Files.readAllBytes(ref.lastFrame());
        Files.write(images.resolve("target.png"), png);
        double missesBefore = service.metrics().counter("renderloop_reference_cache_total", "", "result").value("miss");
        JsonNode r = score(batch(
                item("by-value", "svg", SVG_REF, null).set("reference_image",
                        JSON.createObjectNode().put("png_base64", Base64.getEncoder().encodeToString(png))),
                item("by-path", "svg", SVG_NEAR, null).set("reference_image", JSON.createObjectNode().put("path", "target.png"))));
        assertEquals(1.0, r.at("/items/0/metrics/tiled").asDouble(), 1e-9, r.toString());
        assertTrue(r.at("/items/1/metrics/tiled").asDouble() < 1.0);
        assertEquals(1, service.metrics().counter("renderloop_reference_cache_total", "", "result").value("miss") - missesBefore,
                "the same picture is decoded once");
    }

    @Test
    void renderAnswersFramesAsBase64OrIds() throws Exception {
        String body = batch(JSON.createObjectNode().put("id", "b64").put("domain", "svg").put("code", SVG_REF),
                JSON.createObjectNode().put("id", "ids").put("domain", "svg").put("code", SVG_NEAR).put("frames", "ids"),
                JSON.createObjectNode().put("id", "bad").put("domain", "svg").put("code", "<svg"));
        HttpResponse<String> r = post(base, "/v1/render", body, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode items = JSON.readTree(r.body()).get("items");
        byte[] png = Base64.getDecoder().decode(items.at("/0/frames/0").asText());
        assertNotNull(ImageIO.read(new ByteArrayInputStream(png)));
        String id = items.at("/1/frame_ids/0").asText();
        HttpResponse<byte[]> frame = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/frame?id=" + id)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, frame.statusCode());
        assertNotNull(ImageIO.read(new ByteArrayInputStream(frame.body())));
        assertEquals(404, get(base, "/v1/frame?id=nope").statusCode());
        assertEquals("error", items.at("/2/render/status").asText());
    }

    @Test
    void probesMetricsAndTheApiDocument() throws Exception {
        assertEquals(200, get(base, "/healthz").statusCode());
        long end = System.nanoTime() + 10_000_000_000L;
        while (!service.ready() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        HttpResponse<String> ready = get(base, "/readyz");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("available", JSON.readTree(ready.body()).at("/domains/svg").asText());
        score(batch(item("m", "svg", SVG_REF, SVG_REF)));
        String metrics = get(base, "/metrics").body();
        for (String name : List.of("renderloop_reward_queue_depth", "renderloop_renders_total{domain=\"svg\",status=\"ok\"}",
                "renderloop_render_seconds_bucket", "renderloop_render_cache_total", "renderloop_reference_cache_total",
                "renderloop_http_request_seconds_bucket", "renderloop_reward_item_seconds_count")) {
            assertTrue(metrics.contains(name), name + " missing from\n" + metrics);
        }
        JsonNode api = JSON.readTree(get(base, "/openapi.json").body());
        assertEquals("3.1.0", api.get("openapi").asText());
        for (String path : List.of("/v1/score", "/v1/render", "/healthz", "/readyz", "/metrics")) {
            assertTrue(api.get("paths").has(path), path);
        }
    }
}
