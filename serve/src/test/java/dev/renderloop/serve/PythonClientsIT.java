package dev.renderloop.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.render.RenderEngine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python clients in {@code clients/python/} (standard library only) against the real reward service: their
 * unittest suite under Debian's {@code /usr/bin/python3}, and TRL's {@code GRPOTrainer} calling the TRL reward
 * function for one step where a Python with TRL is configured ({@code RENDERLOOP_TRL_PYTHON}, else
 * {@code /work/venv/bin/python}); skipped with the reason elsewhere.
 */
class PythonClientsIT {
    static final Path CLIENTS = Path.of("../clients/python").toAbsolutePath().normalize();
    static final Path TINY_MODEL = Path.of("../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat").toAbsolutePath()
            .normalize();
    static final String TOKEN = "client-test-token";

    @TempDir
    static Path cache;

    static RenderEngine engine;
    static ReferenceScorer scorer;
    static RewardService service;
    static RewardService small;

    @BeforeAll
    static void start() throws IOException {
        engine = RenderEngine.builder().workers(2).cacheDir(cache).build();
        scorer = new ReferenceScorer(engine, null, null, null);
        service = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0).withBearerToken(TOKEN)
                .withRenderTimeout(Duration.ofSeconds(10)));
        if (engine.availability("matplotlib").available()) {
            // one item at a time: three concurrent trainers overflow it and must retry their 429s
            small = RewardService.start(engine, scorer, RewardServiceConfig.defaults("127.0.0.1", 0).withBearerToken(TOKEN)
                    .withQueue(1, 1));
        }
    }

    @AfterAll
    static void stop() {
        if (small != null) {
            small.close();
        }
        service.close();
        scorer.close();
        engine.close();
    }

    record Run(int exit, String output) {}

    static Run python(String interpreter, String module) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(interpreter, "-m", "unittest", "-v", module).directory(CLIENTS.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("RENDERLOOP_REWARD_URL", "http://127.0.0.1:" + service.port());
        env.put("RENDERLOOP_REWARD_TOKEN", TOKEN);
        env.put("RENDERLOOP_TINY_MODEL", TINY_MODEL.toString());
        env.put("HF_HUB_OFFLINE", "1");
        env.put("TRANSFORMERS_OFFLINE", "1");
        if (small != null) {
            env.put("RENDERLOOP_REWARD_SMALL_URL", "http://127.0.0.1:" + small.port());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "python did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void theStandardLibraryClientsPassTheirTestsAgainstTheService() throws Exception {
        Path debian = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(debian), "Debian's /usr/bin/python3 is not installed");
        Run run = python(debian.toString(), "tests.test_client");
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("\nOK"), run.output());
        // every test against the service ran: none skipped for want of the URL
        assertFalse(run.output().contains("RENDERLOOP_REWARD_URL is not set"), run.output());
        if (small != null) {
            assertFalse(run.output().contains("skipped 'no small-queue service"), run.output());
            assertTrue(small.metrics().prometheusText().contains("renderloop_http_rejected_total{type=\"overloaded\"}"),
                    "the concurrent trainers met a full queue and retried");
        }
    }

    @Test
    void trlsGrpoTrainerCallsTheRewardFunction() throws Exception {
        String configured = System.getenv("RENDERLOOP_TRL_PYTHON");
        Path py = Path.of(configured != null ? configured : "/work/venv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(py), "no Python with TRL: " + py + " does not exist (set RENDERLOOP_TRL_PYTHON)");
        Process probe = new ProcessBuilder(py.toString(), "-c", "import trl, datasets").redirectErrorStream(true).start();
        String why = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        Assumptions.assumeTrue(probe.waitFor(2, TimeUnit.MINUTES) && probe.exitValue() == 0,
                "TRL is not importable by " + py + ": " + why.lines().reduce((a, b) -> b).orElse(""));
        Run run = python(py.toString(), "tests.test_trl");
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("ok") && !run.output().contains("skipped"), run.output());
    }
}
