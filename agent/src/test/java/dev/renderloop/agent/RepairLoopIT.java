package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Policy;
import dev.renderloop.policy.Purpose;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent loop with real renders: matplotlib on the warm Python workers, svg in-process. */
class RepairLoopIT {
    private static RenderEngine engine;

    static final String CHART = String.join("\n",
            "import matplotlib.pyplot as plt",
            "import numpy as np",
            "x = np.linspace(0, 6.3, 50)",
            "plt.plot(x, np.sin(x), color='red', linewidth=2)",
            "plt.title('sine')",
            "plt.savefig('out.png')",
            "");
    static final String BARS = String.join("\n",
            "import matplotlib.pyplot as plt",
            "fig, ax = plt.subplots(figsize=(4, 3))",
            "ax.bar(['a', 'b', 'c'], [3, 1, 2], color='blue')",
            "ax.set_ylabel('count')",
            "fig.savefig('bars.png')",
            "");

    @BeforeAll
    static void start() {
        engine = RenderEngine.builder().noCache().workers(1).build();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private static Agent agent(Policy policy, int k) {
        return Agent.builder().policy(policy).engine(engine).config(new AgentConfig(k, Sampling.greedy(512), 10, 30)).build();
    }

    private static AgentRun run(Agent agent, Task task, Strategy strategy, List<Attempt> log) {
        AgentRun run = agent.run(task, strategy, log::add);
        assertEquals(run.attempts(), log, "every attempt reached the listener, in order");
        return run;
    }

    @Test
    void ritlRepairsSeededDefectsWithTheOracle() {
        int fixedByRepair = 0;
        for (int seed = 0; seed < 12; seed++) {
            for (Task task : List.of(new Task("chart", "matplotlib", "A red sine curve titled sine", CHART, null, null),
                    new Task("bars", "matplotlib", "Three blue bars", BARS, null, null))) {
                List<Attempt> log = new ArrayList<>();
                AgentRun run = run(agent(Policies.oracleWithDefects(seed), 3), task, Strategy.RITL, log);
                assertTrue(run.success(), task.id() + " seed " + seed + ": " + run.attempts());
                assertTrue(log.get(0).note().startsWith("defect: "), log.get(0).note());
                if (!log.get(0).rendered()) {
                    fixedByRepair++;
                    assertEquals(2, log.size());
                    assertEquals(1, run.repairs());
                    assertEquals("repair", log.get(1).step());
                    String repairPrompt = log.get(1).prompt().last().text();
                    assertTrue(repairPrompt.contains("<error>") && repairPrompt.contains("<code>"), repairPrompt);
                    assertTrue(repairPrompt.contains(task.description()));
                    assertEquals(task.code().strip(), run.finalCode().strip());
                } else {
                    assertEquals(1, log.size(), "stops at the first success");
                    assertEquals(0, run.repairs());
                }
            }
        }
        assertTrue(fixedByRepair >= 6, "most seeded defects break the render: " + fixedByRepair);
    }

    @Test
    void vanillaNeverRepairs() {
        Task task = new Task("chart", "matplotlib", "A red sine curve", CHART, null, null);
        ScriptedPolicy broken = new ScriptedPolicy(r -> "```python\nimport matplotlib.pyplot as plt\nplt.plto([1, 2])\n```");
        AgentRun run = run(agent(broken, 3), task, Strategy.VANILLA, new ArrayList<>());
        assertFalse(run.success());
        assertEquals(1, run.attempts().size());
        assertEquals(ErrorKind.RUNTIME_ERROR, run.finalRender().errorKind());
    }

    @Test
    void stopsAfterKRepairsAndKeepsEveryAttempt() {
        Task task = new Task("chart", "matplotlib", "A red sine curve", CHART, null, null);
        ScriptedPolicy broken = new ScriptedPolicy(r -> "```python\nimport matplotlib.pyplot as plt\nplt.plto([1, 2])  # try "
                + r.purpose() + "\n```");
        List<Attempt> log = new ArrayList<>();
        AgentRun run = run(agent(broken, 2), task, Strategy.RITL, log);
        assertFalse(run.success());
        assertEquals(3, log.size());
        assertEquals(2, run.repairs());
        assertEquals(List.of(0, 1, 2), log.stream().map(Attempt::round).toList());
        assertEquals(List.of(Purpose.GENERATE, Purpose.REPAIR, Purpose.REPAIR), broken.requests.stream().map(r -> r.purpose()).toList());
        for (String prompt : ScriptedPolicy.lastUserTexts(broken.requests.subList(1, 3))) {
            assertTrue(prompt.contains("AttributeError") && prompt.contains("plto"), prompt);
            long lines = prompt.substring(prompt.indexOf("<error>"), prompt.indexOf("</error>")).lines().count();
            assertTrue(lines <= 11, "at most 10 error lines: " + lines);
        }
        assertEquals(log.get(2).code().code(), run.finalCode());
        assertEquals(3 * 15, run.tokens());
    }

    @Test
    void badAnswersAreRecordedNotFatal() {
        Task task = new Task("svg1", "svg", "A red square", "<svg/>", null, null);
        String svg = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10' fill='red'/></svg>";
        List<String> answers = List.of(
                "I cannot draw that.",                                                   // no code
                "```svg\n<svg/>\n```\n```svg\n<svg></svg>\n```\n```svg\n" + svg + "\n```", // three blocks: the last tagged wins
                "Here it is:\n```svg\n<svg xmlns='http://www.w3.org/2000/svg'><rect width='5'", // cut off mid-block
                "```svg\n" + svg + "\n<!--" + "x".repeat(1_100_000) + "-->\n```");        // 1 MB answer
        for (int i = 0; i < answers.size(); i++) {
            String answer = answers.get(i);
            ScriptedPolicy p = new ScriptedPolicy(r -> answer);
            List<Attempt> log = new ArrayList<>();
            AgentRun run = run(agent(p, 1), task, Strategy.RITL, log);
            assertFalse(log.isEmpty());
            Attempt first = log.get(0);
            assertEquals(answer, first.answer(), "the whole answer is recorded");
            switch (i) {
                case 0 -> {
                    assertEquals(ExtractedCode.Source.NONE, first.code().source());
                    assertNull(first.render());
                    assertEquals(2, log.size());
                    assertTrue(log.get(1).prompt().last().text().contains("no code was found in the answer"));
                    assertFalse(run.success());
                }
                case 1 -> {
                    assertEquals(3, first.code().blocks());
                    assertEquals(svg, first.code().code().strip());
                    assertTrue(run.success());
                }
                case 2 -> {
                    assertEquals(ExtractedCode.Source.UNCLOSED_FENCE, first.code().source());
                    assertNotNull(first.render());
                }
                default -> {
                    assertNotNull(first.render());
                    assertFalse(first.render().ok(), "a 1 MB program is refused by the engine's size bound");
                    assertEquals(ErrorKind.BAD_INPUT, first.render().errorKind());
                }
            }
        }
    }

    @Test
    void ritlVisRepairsUntilTheCriticPasses() {
        Task task = Suites.bundled("svg").tasks().get(0);
        ScriptedPolicy critic = new ScriptedPolicy(r -> r.conversation().last().images().isEmpty() ? "no images"
                : (critiques(r) == 0 ? "FAIL\nthe colour is wrong" : "PASS"));
        Agent agent = Agent.builder().policy(Policies.oracle()).critic(critic).engine(engine)
                .config(new AgentConfig(3, Sampling.greedy(64), 10, 30)).build();
        List<Attempt> log = new ArrayList<>();
        AgentRun run = run(agent, task, Strategy.RITL_VIS, log);
        assertEquals(List.of("generate", "critique", "repair", "critique"), log.stream().map(Attempt::step).toList());
        assertEquals("verdict: fail", log.get(1).note());
        assertTrue(log.get(2).prompt().last().text().contains("<critique>\nFAIL\nthe colour is wrong"));
        assertEquals("verdict: pass", log.get(3).note());
        assertTrue(run.success());
        assertEquals(1, run.repairs());
        assertEquals(2, critic.requests.get(0).conversation().last().images().size(), "target image + one frame");
    }

    private static int calls;

    private static synchronized int critiques(dev.renderloop.policy.PolicyRequest r) {
        return calls++;
    }

    @Test
    void strategiesThatNeedAComponentSayWhichIsMissing() {
        Task task = new Task("t", "svg", "A square", "<svg/>", null, null);
        Agent plain = agent(Policies.oracle(), 1);
        IllegalArgumentException doc = assertThrows(IllegalArgumentException.class, () -> plain.run(task, Strategy.RITL_DOC, a -> { }));
        assertTrue(doc.getMessage().contains("API documentation"));
        IllegalArgumentException vis = assertThrows(IllegalArgumentException.class, () -> plain.run(task, Strategy.RITL_VIS, a -> { }));
        assertTrue(vis.getMessage().contains("critic"));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> plain.run(new Task("e", "svg", "  ", "<svg/>", null, null), Strategy.VANILLA, a -> { }));
        assertTrue(empty.getMessage().contains("empty description"));
    }

    @Test
    void ritlDocRegeneratesWithDocumentationBeforeTheFirstRender() {
        Task task = new Task("chart", "matplotlib", "A red sine curve", CHART, null, null);
        ApiDocumentation docs = new ApiDocumentation() {
            @Override
            public String source() {
                return "test-docs 1.0";
            }

            @Override
            public List<ApiDoc> lookup(String code) {
                return code.contains("plto") ? List.of(new ApiDoc("plt.plto", false, "", "", List.of("plot"))) : List.of();
            }
        };
        ScriptedPolicy p = new ScriptedPolicy(r -> r.conversation().last().text().contains("no documentation available for plt.plto")
                ? "```python\n" + CHART + "```" : "```python\nimport matplotlib.pyplot as plt\nplt.plto([1, 2])\n```");
        Agent agent = Agent.builder().policy(p).engine(engine).documentation(docs).config(AgentConfig.defaults(Sampling.greedy(64))).build();
        List<Attempt> log = new ArrayList<>();
        AgentRun run = run(agent, task, Strategy.RITL_DOC, log);
        assertEquals(List.of("generate", "doc-regenerate"), log.stream().map(Attempt::step).toList());
        assertNull(log.get(0).render(), "round 0 regenerates before the first render");
        assertTrue(log.get(1).prompt().last().text().contains("did you mean: plot?"));
        assertEquals(1, log.get(1).docs().size());
        assertTrue(run.success());
        assertEquals(0, run.repairs());
    }
}
