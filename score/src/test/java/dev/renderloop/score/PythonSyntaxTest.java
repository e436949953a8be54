package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class PythonSyntaxTest {

    @Test
    void validCode_isOk_withNodeCounts() {
        SyntaxCheck c = PythonSyntax.check("def f(x):\n    return x + 1\n");
        assertEquals(SyntaxCheck.Status.OK, c.status());
        assertTrue(c.syntaxOk());
        assertNull(c.detail());
        assertTrue(c.namedNodeCount() > 5 && c.nodeCount() > c.namedNodeCount(), c.toString());
    }

    @Test
    void unbalancedBracket_isASyntaxError_naming_theLine() {
        SyntaxCheck c = PythonSyntax.check("x = 1\nprint((x)\ny = 2\n");
        assertEquals(SyntaxCheck.Status.SYNTAX_ERROR, c.status());
        assertFalse(c.syntaxOk());
        assertTrue(c.detail().contains("line"), c.detail());
    }

    @Test
    void missingColon_isASyntaxError() {
        assertFalse(PythonSyntax.check("if x > 1\n    y = 2\n").syntaxOk());
    }

    @Test
    void blankCode_isEmpty_notOk() {
        for (String blank : new String[] {"", "  \n\t\n", null}) {
            SyntaxCheck c = PythonSyntax.check(blank);
            assertEquals(SyntaxCheck.Status.EMPTY, c.status());
            assertFalse(c.syntaxOk());
        }
    }

    @Test
    void nonAsciiCode_parses() {
        assertTrue(PythonSyntax.check("name = 'café 😀'\nprint(name)\n").syntaxOk());
    }

    @Test
    void hugeCode_isTooLarge_withoutParsing() {
        SyntaxCheck c = PythonSyntax.check("#".repeat(PythonSyntax.MAX_CODE_CHARS + 1));
        assertEquals(SyntaxCheck.Status.TOO_LARGE, c.status());
        assertEquals(0, c.nodeCount());
        assertTrue(c.detail().contains(String.valueOf(PythonSyntax.MAX_CODE_CHARS)));
    }

    @Test
    void deeplyNestedExpression_doesNotOverflowTheStack() {
        String deep = "x = " + "(".repeat(3000) + "1" + ")".repeat(3000) + "\n";
        assertTrue(PythonSyntax.check(deep).syntaxOk());
        assertTrue(AstDistance.between(deep, "x = 1\n").available());
        // 600 levels: deeper than the 400 at which tree-sitter prints on a large stack, inside the S-expression budget
        String nested = "x = " + "(".repeat(600) + "1" + ")".repeat(600) + "\n";
        CodeBleuScore s = CodeBleu.score(nested, nested);
        assertTrue(s.available());
        assertEquals(1.0, s.syntaxMatch());
    }

    @Test
    void pathologicalNesting_makesCodeBleuUnavailable_notSlow() {
        String deeper = "x = " + "[".repeat(20_000) + "]".repeat(20_000) + "\n";
        CodeBleuScore s = CodeBleu.score(deeper, "x = 1\n");
        assertFalse(s.available());
        assertTrue(s.unavailable().contains("nested too deeply"), s.unavailable());
    }

    @Test
    void parallelChecks_giveTheSameResults() throws Exception {
        List<String> programs = List.of("a = 1\n", "for i in range(3):\n    print(i)\n", "def (:\n", "",
                "class A:\n    def m(self):\n        return [i * i for i in range(9)]\n");
        List<SyntaxCheck> expected = new ArrayList<>();
        for (String p : programs) {
            expected.add(PythonSyntax.check(p));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<SyntaxCheck>> futures = new ArrayList<>();
            for (int round = 0; round < 50; round++) {
                for (String p : programs) {
                    futures.add(pool.submit(() -> PythonSyntax.check(p)));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertEquals(expected.get(i % programs.size()), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
