package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.Strategy;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.PolicyRequest;
import dev.renderloop.policy.PolicyResponse;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner with real renders (svg in-process, matplotlib on the workers). */
class BenchIT {
    @TempDir
    Path dir;

    /** Answers with the oracle, except that it throws for one task and answers nothing usable for another. */
    static final class TroublePolicy implements Policy {
        private final Policy oracle = Policies.oracle();

        @Override
        public String name() {
            return "trouble";
        }

        @Override
        public PolicyResponse respond(PolicyRequest request) {
            if (request.task().id().equals("svg-002")) {
                throw new IllegalArgumentException("a bug in a policy");
            }
            if (request.task().id().equals("svg-003")) {
                return PolicyResponse.of(List.of(dev.renderloop.policy.Candidate.ofText("no code here", "")), null, 0, 1);
            }
            return oracle.respond(request);
        }
    }

    @Test
    void failingTasksAndThrowingPairsAreRecordedAndTheRunGoesOn() throws Exception {
        List<Task> tasks = Suites.bundled("svg").tasks().subList(0, 5);
        RunLayout layout = new RunLayout(dir.resolve("run"));
        try (RenderEngine engine = RenderEngine.builder().noCache().workers(1).build()) {
            Bench.Outcome o = Bench.builder().layout(layout).suite("bundled:svg", tasks).strategies(List.of(Strategy.VANILLA, Strategy.RITL))
                    .policy(new TroublePolicy()).engine(engine).agentConfig(new AgentConfig(2, Sampling.greedy(64), 10, 30))
                    .concurrency(2).build().run();
            assertEquals(10, o.ran());
            try (RunStore store = RunStore.openReadOnly(layout)) {
                List<FinalRow> rows = store.finals();
                assertEquals(10, rows.size());
                FinalRow thrown = rows.stream().filter(r -> r.taskId().equals("svg-002") && r.strategy().equals("ritl")).findFirst().orElseThrow();
                assertFalse(thrown.success());
                assertEquals("harness_error", thrown.errorKind());
                assertTrue(thrown.error().contains("a bug in a policy"));
                FinalRow noCode = rows.stream().filter(r -> r.taskId().equals("svg-003") && r.strategy().equals("ritl")).findFirst().orElseThrow();
                assertFalse(noCode.success());
                assertEquals(3, noCode.attempts(), "K = 2 repairs were tried");
                assertEquals("no_code", noCode.errorKind());
                assertEquals(0.0, noCode.metrics().get("tiled"), "a failed render scores 0 visually");
                assertEquals(6, rows.stream().filter(FinalRow::success).count());
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> ritl = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) o.summary().get("metrics"))
                    .get("ritl")).get("all");
            @SuppressWarnings("unchecked")
            Map<String, Object> rsr = (Map<String, Object>) ritl.get("rsr");
            assertEquals(0.6, (double) rsr.get("mean"), 1e-12);
        }
    }

    @Test
    void pythonTasksGetCodeMetricsAndLevels() throws Exception {
        String chart = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [1, 2])\nplt.savefig('x.png')\n";
        List<Task> tasks = List.of(new Task("c1", "matplotlib", "two bars", chart, null, "Basic"),
                new Task("c2", "matplotlib", "two bars again", chart.replace("[1, 2]", "[2, 1]"), null, "Advanced"));
        RunLayout layout = new RunLayout(dir.resolve("py"));
        try (RenderEngine engine = RenderEngine.builder().noCache().workers(1).build()) {
            Bench.Outcome o = Bench.builder().layout(layout).suite("inline", tasks).strategies(List.of(Strategy.RITL))
                    .policy(Policies.oracleWithDefects(3)).engine(engine).agentConfig(AgentConfig.defaults(Sampling.greedy(64)))
                    .build().run();
            @SuppressWarnings("unchecked")
            Map<String, Object> ritl = (Map<String, Object>) ((Map<String, Object>) o.summary().get("metrics")).get("ritl");
            @SuppressWarnings("unchecked")
            Map<String, Object> all = (Map<String, Object>) ritl.get("all");
            for (String key : List.of("codebleu", "codebleu_ngram", "codebleu_dataflow", "ast_distance", "ssim", "tiled")) {
                assertTrue(all.get(key) instanceof Map, key + " in " + all);
            }
            assertTrue(((Map<?, ?>) ritl.get("levels")).keySet().containsAll(List.of("Basic", "Advanced")));
        }
    }
}
