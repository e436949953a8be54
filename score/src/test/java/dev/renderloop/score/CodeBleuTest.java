package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Behaviour of the port beyond the parity fixtures: hand-checkable cases and the package's edge rules. */
class CodeBleuTest {

    @Test
    void identicalCode_scoresOneInEveryComponent() {
        CodeBleuScore s = CodeBleu.score("def f(a, b):\n    c = a + b\n    return c\n",
                "def f(a, b):\n    c = a + b\n    return c\n");
        assertEquals(1.0, s.codebleu(), 1e-12);
        assertEquals(1.0, s.ngramMatch(), 1e-12);
        assertEquals(1.0, s.weightedNgramMatch(), 1e-12);
        assertEquals(1.0, s.syntaxMatch(), 1e-12);
        assertEquals(1.0, s.dataflowMatch(), 1e-12);
    }

    @Test
    void ngramMatch_handWorked() {
        // hypothesis tokens: a b c d x (5), reference: a b c d e (5): p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, bp = 1
        double expected = Math.exp(0.25 * (Math.log(0.8) + Math.log(0.75) + Math.log(2.0 / 3) + Math.log(0.5)));
        assertEquals(expected, Bleu.bleu(List.of("a", "b", "c", "d", "e"), List.of("a", "b", "c", "d", "x")), 1e-12);
    }

    @Test
    void weightedNgram_brevityPenaltyUsesTheReferenceLengthTwo_asThePackageDoes() {
        // one-token hypothesis "if" against a long reference: recall-based p_n, bp = exp(1 - 2/1)
        List<String> ref = List.of("if", "x", ":", "pass", "y");
        double p1 = 1.0 / (1 + 4 * 0.2);
        double expected = Math.exp(1 - 2.0) * Math.exp(0.25 * (Math.log(p1) + Math.log(0.1 / 4)
                + Math.log(0.1 / 3) + Math.log(0.1 / 2)));
        assertEquals(expected, Bleu.weightedNgramMatch(ref, List.of("if"), java.util.Set.of("if")), 1e-12);
    }

    @Test
    void referenceWithoutDataFlow_reportsZero_andCountsOneInCodeBleu() {
        CodeBleuScore s = CodeBleu.score("import math\nprint()\n", "import os\nprint()\n");
        assertFalse(s.referenceHasDataFlow());
        assertEquals(0.0, s.dataflowMatch());
        assertEquals(0.25 * (s.ngramMatch() + s.weightedNgramMatch() + s.syntaxMatch() + 1), s.codebleu(), 1e-12);
    }

    @Test
    void genuineZeroDataFlowMatch_alsoCountsOne_asInThePackage() {
        CodeBleuScore s = CodeBleu.score("x = 1\ny = x + 2\n", "print('hello')\n");
        assertTrue(s.referenceHasDataFlow());
        assertEquals(0.0, s.dataflowMatch());
        assertEquals(0.25 * (s.ngramMatch() + s.weightedNgramMatch() + s.syntaxMatch() + 1), s.codebleu(), 1e-12);
    }

    @Test
    void commentsAndDocstrings_areStripped_forSyntaxAndDataFlow() {
        // the spaces before a removed comment stay, as in the package
        assertEquals("def f():\n    return 1  \nx = f()",
                PythonCommentStripper.strip("def f():\n    \"\"\"doc\"\"\"\n    # note\n    return 1  # one\n\nx = f()"));
        CodeBleuScore s = CodeBleu.score("def f(a):\n    b = a + 1\n    return b\n",
                "def f(a):\n    '''doc'''\n    b = a + 1  # c\n    return b\n");
        assertEquals(1.0, s.syntaxMatch());
        assertEquals(1.0, s.dataflowMatch());
    }

    @Test
    void tokenizerErrors_leaveTheCodeUnchanged_likeThePackage() {
        assertNull(PythonCommentStripper.strip("x = (1,\n# open bracket"));
        assertNull(PythonCommentStripper.strip("s = '''never closed\n"));
        assertNull(PythonCommentStripper.strip("if x:\n    y = 1\n  z = 2"));
    }

    @Test
    void pythonWhitespace_splitsLikeStrSplit() {
        assertEquals(List.of("a", "b", "c"), PythonCommentStripper.pySplit("\u00a0a\tb\u2003c\u001c"));
        assertEquals("x", PythonCommentStripper.pyStrip("\u3000 x\u0085"));
    }

    @Test
    void metrics_haveStableNames() {
        assertEquals(List.of("codebleu", "codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax",
                "codebleu_dataflow"), CodeBleu.score("a = 1", "a = 2").metrics().stream().map(Metric::name).toList());
        assertTrue(CodeBleu.score("a = 1", "a = 2").metrics().stream().allMatch(Metric::available));
    }
}
