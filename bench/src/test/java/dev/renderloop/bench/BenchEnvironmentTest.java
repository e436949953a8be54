package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.Strategy;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyErrorKind;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.Renderer;
import dev.renderloop.task.Task;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the environment breaks is not scored as the model's: a renderer that cannot run, references that fail for
 * one reason, a policy server that cannot be reached. Driven with a test-double renderer in the svg domain (no
 * Python), which draws a picture from the code and fails code that names a missing module.
 */
class BenchEnvironmentTest {
    @TempDir
    Path dir;

    /** Draws a 64x64 picture whose pattern depends on the code; code containing "import scipy" fails as if scipy were missing. */
    static final class FakeSvgRenderer implements Renderer {
        final AtomicInteger renders = new AtomicInteger();
        final boolean available;

        FakeSvgRenderer(boolean available) {
            this.available = available;
        }

        @Override
        public String domain() {
            return "svg";
        }

        @Override
        public Availability availability() {
            return available ? Availability.yes("fake svg 1") : Availability.no("fake svg runtime is not installed");
        }

        @Override
        public String version() {
            return "fake-1";
        }

        @Override
        public RenderResult render(RenderRequest request, Path outputDir) {
            renders.incrementAndGet();
            if (request.code().contains("import scipy")) {
                return RenderResult.failure("svg", ErrorKind.RUNTIME_ERROR,
                        "Traceback (most recent call last):\nModuleNotFoundError: No module named 'scipy'", 1);
            }
            int seed = request.code().strip().hashCode();
            BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    img.setRGB(x, y, ((x * 4 + seed) & 0xFF) << 16 | ((y * 4) & 0xFF) << 8 | ((x ^ y ^ seed) & 0xFF));
                }
            }
            try {
                Path f = outputDir.resolve("frame_00000.png");
                ImageIO.write(img, "png", f.toFile());
                return new RenderResult("svg", null, "", List.of(f), f, f, null, 1, 1, false, "");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
        }
    }

    /** Fails the way an unreachable server does (counting the requests) until it is "fixed", then answers as the oracle. */
    static final class UnreachablePolicy implements Policy {
        final AtomicInteger requests = new AtomicInteger();
        final PolicyErrorKind kind;
        final Policy oracle = Policies.oracle();
        volatile boolean fixed;

        UnreachablePolicy(PolicyErrorKind kind) {
            this.kind = kind;
        }

        @Override
        public String name() {
            return "openai:m@http://127.0.0.1:9/v1";
        }

        @Override
        public PolicyResponse respond(PolicyRequest request) {
            if (fixed) {
                return oracle.respond(request);
            }
            requests.incrementAndGet();
            return PolicyResponse.failure(kind, "POST http://127.0.0.1:9/v1/chat/completions: Connection refused", null, 3, 4);
        }
    }

    private static List<Task> tasks(int n, int failing) {
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String code = "<svg xmlns=\"http://www.w3.org/2000/svg\"><!-- task " + i + " -->"
                    + (i < failing ? "<!-- import scipy -->" : "") + "</svg>";  // no trailing newline, as in the suites
            out.add(new Task("t" + i, "svg", "picture " + i, code, null, "Basic"));
        }
        return out;
    }

    private RenderEngine engine(FakeSvgRenderer r) {
        return RenderEngine.builder().cacheDir(dir.resolve("cache")).scratchDir(dir).workers(1).renderer(r).build();
    }

    private static Bench.Builder bench(RunLayout layout, List<Task> tasks, Policy policy, RenderEngine engine) {
        return Bench.builder().layout(layout).suite("fake", tasks).strategies(List.of(Strategy.VANILLA, Strategy.RITL))
                .policy(policy).engine(engine).agentConfig(new AgentConfig(2, Sampling.greedy(64), 10, 30)).concurrency(1);
    }

    private static int finals(RunLayout layout) throws Exception {
        if (!Files.exists(layout.database())) {
            return 0;
        }
        try (RunStore store = RunStore.openReadOnly(layout)) {
            return store.finals().size();
        }
    }

    @Test
    void anUnavailableRendererRefusesToStartAndWritesNoRows() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        try (RenderEngine engine = engine(new FakeSvgRenderer(false))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bench(layout, tasks(3, 0), Policies.oracle(), engine).build().run());
            assertTrue(e.getMessage().contains("svg") && e.getMessage().contains("fake svg runtime is not installed"), e.getMessage());
        }
        assertEquals(0, finals(layout));
    }

    @Test
    void referencesThatMostlyFailForOneReasonRefuseTheRun() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        FakeSvgRenderer renderer = new FakeSvgRenderer(true);
        try (RenderEngine engine = engine(renderer)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bench(layout, tasks(4, 3), Policies.oracle(), engine).build().run());
            assertTrue(e.getMessage().contains("3 of 4") && e.getMessage().contains("No module named 'scipy'"), e.getMessage());
        }
        assertEquals(0, finals(layout));
    }

    @Test
    void resumeRunsAgainThePairsThatFailedForTheEnvironment() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        List<Task> tasks = tasks(2, 0);
        // What an earlier version wrote on a machine without the renderer, and for an unreachable server.
        try (RunStore store = RunStore.open(layout)) {
            store.putTask("t0", "svg", "Basic", "picture 0", tasks.get(0).code(), "error", "renderer_unavailable: not installed", List.of());
            store.putFinal(new FinalRow("t0", "vanilla", "Basic", false, 0, 1, 0, 0, 0, 0, 5, tasks.get(0).code(), List.of(),
                    "renderer_unavailable", "fake svg runtime is not installed", Map.of(), Map.of()));
            store.putAttempt("t1", "vanilla", 0, 0, "generate", null, null,
                    "{\"task\":\"t1\",\"policy_error\":\"transport\",\"policy_message\":\"Connection refused\"}");
            store.putFinal(new FinalRow("t1", "vanilla", "Basic", false, 0, 1, 0, 0, 0, 0, 5, "", List.of(),
                    "no_code", "no code in the final answer", Map.of("vs_paper_ssim", 0.0), Map.of()));
        }
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            Bench.Outcome o = bench(layout, tasks, Policies.oracle(), engine).strategies(List.of(Strategy.VANILLA)).build().run();
            assertEquals(0, o.alreadyDone(), "neither row was the model's outcome");
            assertEquals(2, o.ran());
        }
        try (RunStore store = RunStore.openReadOnly(layout)) {
            assertTrue(store.finals().stream().allMatch(FinalRow::success), store.finals().toString());
            assertTrue(store.referenceFailures().isEmpty(), "the task's reference is rendered again and recorded as ok");
        }
    }

    @Test
    void anUnreachablePolicyStopsTheRunAfterAFewPairsAndWritesNoRows() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        UnreachablePolicy policy = new UnreachablePolicy(PolicyErrorKind.TRANSPORT);
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bench(layout, tasks(10, 0), policy, engine).build().run());
            assertTrue(e.getMessage().contains("transport") && e.getMessage().contains("Connection refused"), e.getMessage());
            assertTrue(policy.requests.get() <= 5, "stopped after a few pairs, not " + policy.requests.get() + " requests");
        }
        assertEquals(0, finals(layout));
        // After the server is fixed the same command runs every pair.
        policy.fixed = true;
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            Bench.Outcome o = bench(layout, tasks(10, 0), policy, engine).build().run();
            assertEquals(0, o.alreadyDone());
            assertEquals(20, o.ran());
        }
        assertEquals(20, finals(layout));
    }

    @Test
    void aLoneTransportFailureLeavesItsPairForTheNextRun() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        Policy oracle = Policies.oracle();
        Policy flaky = new Policy() {
            @Override
            public String name() {
                return "flaky";
            }

            @Override
            public PolicyResponse respond(PolicyRequest request) {
                return request.task().id().equals("t1")
                        ? PolicyResponse.failure(PolicyErrorKind.TIMEOUT, "no answer within 120 s", null, 120_000, 4)
                        : oracle.respond(request);
            }
        };
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            Bench.Outcome o = bench(layout, tasks(4, 0), flaky, engine).strategies(List.of(Strategy.VANILLA)).build().run();
            assertEquals(1, o.deferred());
            assertEquals(3, o.ran());
            assertTrue(o.deferredWhy().contains("timeout"), o.deferredWhy());
        }
        assertEquals(3, finals(layout), "no row for the pair that got no answer");
    }

    @Test
    void aRejectedApiKeyStopsTheRunToo() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bench(layout, tasks(6, 0), new UnreachablePolicy(PolicyErrorKind.UNAUTHORIZED), engine).build().run());
            assertTrue(e.getMessage().contains("unauthorized"), e.getMessage());
        }
        assertEquals(0, finals(layout));
    }

    @Test
    void visualMetricsAreAveragedOverTheTasksWhoseReferenceRendered() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            Bench.Outcome o = bench(layout, tasks(4, 1), Policies.oracle(), engine).strategies(List.of(Strategy.VANILLA)).build().run();
            JsonNode summary = RunStore.JSON.valueToTree(o.summary());
            JsonNode all = summary.path("metrics").path("vanilla").path("all");
            assertEquals(4, all.path("rsr").path("n").asInt(), "RSR stays over every task");
            for (String m : List.of("ssim", "vs_paper_ssim", "vs_corrected_ssim", "tiled")) {
                assertTrue(all.path(m).isObject(), m + " in " + all);
                assertEquals(3, all.path(m).path("n").asInt(), m);
                assertEquals(1.0, all.path(m).path("mean").asDouble(), 1e-9, "the oracle's answers equal the references");
            }
            JsonNode left = summary.path("left_out");
            assertEquals(1, left.path("n").asInt(), summary.toString());
            assertTrue(left.path("tasks").path("t0").asText().contains("No module named 'scipy'"), left.toString());
        }
    }

    @Test
    void anOracleRunRendersEachSceneOnce() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        FakeSvgRenderer renderer = new FakeSvgRenderer(true);
        try (RenderEngine engine = engine(renderer)) {
            bench(layout, tasks(3, 0), Policies.oracle(), engine).strategies(List.of(Strategy.VANILLA)).build().run();
        }
        assertEquals(3, renderer.renders.get(), "the answer is the reference: one render per task");
    }

    @Test
    void aRunWritesItsReport() throws Exception {
        RunLayout layout = new RunLayout(dir.resolve("run"));
        try (RenderEngine engine = engine(new FakeSvgRenderer(true))) {
            bench(layout, tasks(2, 0), Policies.oracle(), engine).strategies(List.of(Strategy.VANILLA)).build().run();
        }
        assertTrue(Files.isRegularFile(layout.reportDir().resolve("index.html")));
        assertTrue(Files.readString(layout.reportDir().resolve("index.html")).contains("t1"), "the task list names the tasks");
    }
}
