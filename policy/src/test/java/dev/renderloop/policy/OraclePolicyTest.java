package dev.renderloop.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OraclePolicyTest {
    private static final String MANIM = String.join("\n",
            "from manim import *",
            "",
            "class Demo(Scene):",
            "    def construct(self):",
            "        circle = Circle(radius=1.5, color=BLUE)",
            "        square = Square(side_length=2, color=RED)",
            "        self.play(Create(circle))",
            "        self.play(Transform(circle, square), run_time=2)",
            "");

    private static PolicyRequest request(Task task, Purpose purpose, int n) {
        return new PolicyRequest(task, Conversation.of("sys", Message.user(task.description())), purpose, n, Sampling.greedy(100));
    }

    @Test
    void oracleAnswersTheFencedReference() {
        Task task = new Task("t", "manim", "d", MANIM, null, null);
        PolicyResponse r = Policies.oracle().respond(request(task, Purpose.GENERATE, 1));
        assertEquals("```python\n" + MANIM + "```\n", r.text());
        assertTrue(Policies.oracle().baseline());
    }

    @Test
    void defectsAreSeededReproducibleAndRepairedWithTheCleanReference() {
        Task task = new Task("t", "manim", "d", MANIM, null, null);
        Policy p = Policies.oracleWithDefects(7);
        PolicyResponse first = p.respond(request(task, Purpose.GENERATE, 4));
        PolicyResponse again = Policies.oracleWithDefects(7).respond(request(task, Purpose.GENERATE, 4));
        assertEquals(first.candidates(), again.candidates());
        for (Candidate c : first.candidates()) {
            assertNotEquals("```python\n" + MANIM + "```\n", c.text());
            assertTrue(c.note().startsWith("defect: "), c.note());
        }
        PolicyResponse repair = p.respond(request(task, Purpose.REPAIR, 1));
        assertEquals("```python\n" + MANIM + "```\n", repair.text());
        assertEquals(PolicyErrorKind.UNSUPPORTED, p.respond(request(task, Purpose.CRITIQUE, 1)).errorKind());
    }

    @Test
    void everyKindIsSeededAcrossSeedsOnPythonCode() {
        Set<Defect.Kind> seen = EnumSet.noneOf(Defect.Kind.class);
        for (int seed = 0; seed < 40; seed++) {
            DefectSeeder.Seeded s = DefectSeeder.seed(MANIM, "manim", new Random(seed));
            assertNotNull(s.defect());
            assertNotEquals(MANIM, s.code());
            String[] lines = MANIM.split("\n", -1);
            assertTrue(lines[s.defect().line() - 1].contains(s.defect().before()), s.defect().toString());
            seen.add(s.defect().kind());
        }
        assertEquals(EnumSet.copyOf(DefectSeeder.ORACLE_KINDS), seen);
    }

    @ParameterizedTest
    @ValueSource(strings = {"svg", "html", "tikz", "rdkit"})
    void bundledSuitesAllGetADefect(String domain) {
        Suite suite = Suites.bundled(domain);
        Random random = new Random(11);
        for (Task task : suite.tasks()) {
            DefectSeeder.Seeded s = DefectSeeder.seed(task.code(), domain, random);
            assertNotNull(s.defect(), task.id());
            assertNotEquals(task.code(), s.code(), task.id());
        }
    }

    @Test
    void smilesHasNoDefectSiteAndSaysSo() {
        Task task = new Task("m", "smiles", "ethanol", "CCO", null, null);
        PolicyResponse r = Policies.oracleWithDefects(3).respond(request(task, Purpose.GENERATE, 1));
        assertEquals("```smiles\nCCO\n```\n", r.text());
        assertEquals("reference (no defect site)", r.candidates().get(0).note());
        assertFalse(r.candidates().get(0).note().isEmpty());
    }

    @Test
    void specsParseAndRoundTrip() {
        for (String s : List.of("retrieval", "oracle", "oracle-defects:42", "openai:Qwen/Qwen2.5-Coder-7B@http://localhost:8000/v1",
                "openai:gpt@4.1@https://api.example.com/v1", "local:/models/qwen", "local:/models/qwen+/adapters/a1")) {
            assertEquals(s, PolicySpec.parse(s).toString());
        }
        assertEquals("gpt@4.1", PolicySpec.parse("openai:gpt@4.1@https://api.example.com/v1").model());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpt4", "openai:model", "openai:@http://x", "openai:m@ftp://x", "openai:m@not a url",
            "oracle-defects:abc", "local:"})
    void badSpecsNameTheAcceptedForms(String spec) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> PolicySpec.parse(spec));
        assertTrue(e.getMessage().startsWith("bad policy spec"), e.getMessage());
    }
}
