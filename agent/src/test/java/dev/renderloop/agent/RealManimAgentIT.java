package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.score.Metric;
import dev.renderloop.task.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RITL-DOC against real Manim, where it is installed: set RENDERLOOP_MANIM_PYTHON to an interpreter that imports
 * manim (Manim is not installable on CI's registries, so CI skips this with the reason).
 */
class RealManimAgentIT {
    static final String SCENE = String.join("\n",
            "from manim import *",
            "",
            "class Grow(Scene):",
            "    def construct(self):",
            "        circle = Circle(radius=1.5, color=BLUE)",
            "        self.play(Create(circle), run_time=0.5)",
            "        self.play(circle.animate.shift(RIGHT), run_time=0.5)",
            "");

    @TempDir
    Path dir;

    @Test
    void ritlDocRepairsAHallucinatedApiWithSuggestions() throws Exception {
        String python = System.getenv("RENDERLOOP_MANIM_PYTHON");
        assumeTrue(python != null && Files.isExecutable(Path.of(python)), "RENDERLOOP_MANIM_PYTHON not set: real Manim not available here");
        try (RenderEngine engine = RenderEngine.builder().noCache().workers(1).python(Path.of(python)).build()) {
            assumeTrue(engine.availability("manim").available(), "manim not importable: " + engine.availability("manim"));
            String broken = SCENE.replace("Create(circle)", "ShowCreation(circle)");
            ScriptedPolicy policy = new ScriptedPolicy(r -> r.conversation().last().text().contains("did you mean: Create")
                    ? "```python\n" + SCENE + "```" : "```python\n" + broken + "```");
            try (InstalledApiDocumentation docs = new InstalledApiDocumentation(engine.installedApi("manim"), dir.resolve("index"));
                 ReferenceScorer scorer = new ReferenceScorer(engine, null, null, null)) {
                Agent agent = Agent.builder().policy(policy).engine(engine).documentation(docs).scorer(scorer)
                        .config(AgentConfig.defaults(Sampling.greedy(512))).build();
                List<Attempt> log = new ArrayList<>();
                AgentRun run = agent.run(new Task("grow", "manim", "A blue circle grows, then moves right", SCENE, null, null),
                        Strategy.RITL_DOC, log::add);
                assertEquals(List.of("generate", "doc-regenerate"), log.stream().map(Attempt::step).toList());
                ApiDoc show = log.get(1).docs().stream().filter(d -> d.name().equals("ShowCreation")).findFirst().orElseThrow();
                assertFalse(show.resolved());
                assertTrue(show.suggestions().contains("Create"), show.suggestions().toString());
                assertTrue(run.success());
                Metric vs = log.get(1).scores().stream().filter(m -> m.name().equals("vs_corrected_ssim")).findFirst().orElseThrow();
                assertEquals(1.0, vs.value(), 1e-9, "the repaired scene equals the reference");
            }
        }
    }

    @Test
    void theReferenceScorerGivesPerfectCodeAndVisualScoresToTheOracle() {
        // Runs everywhere: svg renders in-process.
        try (RenderEngine engine = RenderEngine.builder().noCache().workers(1).build();
             ReferenceScorer scorer = new ReferenceScorer(engine, null, null, null)) {
            Task task = dev.renderloop.task.Suites.bundled("svg").tasks().get(2);
            AgentRun run = Agent.builder().policy(Policies.oracle()).engine(engine).scorer(scorer)
                    .config(AgentConfig.defaults(Sampling.greedy(64))).build().run(task, Strategy.VANILLA, a -> { });
            List<Metric> scores = run.attempts().get(0).scores();
            assertEquals(1.0, scores.stream().filter(m -> m.name().equals("ssim")).findFirst().orElseThrow().value(), 1e-12);
            assertEquals(1.0, scores.stream().filter(m -> m.name().equals("tiled")).findFirst().orElseThrow().value(), 1e-12);
            assertFalse(scores.stream().anyMatch(m -> m.name().equals("codebleu")), "code metrics are for Python domains");
        }
    }
}
