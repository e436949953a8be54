package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class CodeSimilarityTest {

    private static final String REFERENCE = """
            import matplotlib.pyplot as plt

            values = [3, 1, 2]
            fig, ax = plt.subplots()
            ax.bar(["a", "b", "c"], values)
            plt.savefig("out.png")
            """;
    private static final String CANDIDATE = """
            import matplotlib.pyplot as plt

            data = [3, 1, 2]
            fig, ax = plt.subplots()
            ax.barh(["a", "b", "c"], data)
            plt.savefig("out.png")
            """;

    /** A test embedder: a fixed function of the text, so the cosine is known independently. */
    private record FunctionEmbedder(Function<String, float[]> f) implements TextEmbedder {
        @Override
        public String name() {
            return "test-embedder";
        }

        @Override
        public float[] embed(String text) {
            return f.apply(text);
        }
    }

    /** Letter histogram: similar texts get a high positive cosine. */
    private static float[] letters(String text) {
        float[] v = new float[26];
        for (char c : text.toLowerCase().toCharArray()) {
            if (c >= 'a' && c <= 'z') {
                v[c - 'a']++;
            }
        }
        return v;
    }

    private static Map<String, Metric> byName(List<Metric> metrics) {
        Map<String, Metric> m = new LinkedHashMap<>();
        metrics.forEach(x -> m.put(x.name(), x));
        return m;
    }

    @Test
    void metrics_comeInTheDocumentedOrder() {
        List<String> names = new CodeSimilarity().score(REFERENCE, CANDIDATE).metrics().stream().map(Metric::name).toList();
        assertEquals(List.of("syntax_ok", "codebleu", "codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax",
                "codebleu_dataflow", "ast_distance", "codebert", "cbb"), names);
    }

    @Test
    void withoutEmbedder_codebertAndCbbAreUnavailable_andTheRestIsComputed() {
        Map<String, Metric> m = byName(new CodeSimilarity().score(REFERENCE, CANDIDATE).metrics());
        assertFalse(m.get("codebert").available());
        assertFalse(m.get("cbb").available());
        assertTrue(m.get("cbb").unavailable().contains("codebert"));
        assertEquals(1.0, m.get("syntax_ok").value());
        assertEquals(CodeBleu.score(REFERENCE, CANDIDATE).codebleu(), m.get("codebleu").value());
        assertEquals(AstDistance.between(REFERENCE, CANDIDATE).normalised(), m.get("ast_distance").value());
    }

    @Test
    void withEmbedder_cbbIsTheGeometricMeanOfCosineAndCodeBleu() {
        CodeScores s = new CodeSimilarity(new FunctionEmbedder(CodeSimilarityTest::letters)).score(REFERENCE, CANDIDATE);
        float[] a = letters(REFERENCE);
        float[] b = letters(CANDIDATE);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        double cosine = dot / Math.sqrt(na * nb);
        Map<String, Metric> m = byName(s.metrics());
        assertEquals(cosine, m.get("codebert").value(), 1e-9);
        assertEquals(Math.sqrt(cosine * m.get("codebleu").value()), m.get("cbb").value(), 1e-9);
        assertTrue(m.get("cbb").value() > 0 && m.get("cbb").value() < 1);
    }

    @Test
    void identicalCode_withEmbedder_scoresOne() {
        Map<String, Metric> m = byName(new CodeSimilarity(new FunctionEmbedder(CodeSimilarityTest::letters))
                .score(REFERENCE, REFERENCE).metrics());
        assertEquals(1.0, m.get("codebleu").value(), 1e-12);
        assertEquals(1.0, m.get("cbb").value(), 1e-6);
        assertEquals(0.0, m.get("ast_distance").value());
    }

    @Test
    void unparseableCandidate_hasSyntaxOkZero_andCbbZero_byThePublishedRule() {
        String broken = CANDIDATE.replace("plt.subplots()", "plt.subplots(");
        Map<String, Metric> m = byName(new CodeSimilarity(new FunctionEmbedder(CodeSimilarityTest::letters))
                .score(REFERENCE, broken).metrics());
        assertEquals(0.0, m.get("syntax_ok").value());
        assertEquals(0.0, m.get("cbb").value());
        assertTrue(m.get("codebleu").value() > 0.3, "CodeBLEU is still reported: " + m.get("codebleu"));
        assertTrue(m.get("codebert").value() > 0.5);
    }

    @Test
    void emptyCandidate_hasSyntaxOkZero_andCbbZero() {
        Map<String, Metric> m = byName(new CodeSimilarity(new FunctionEmbedder(t -> t.isBlank()
                ? new float[] {1, 1} : new float[] {1, 0})).score(REFERENCE, "  \n").metrics());
        assertEquals(0.0, m.get("syntax_ok").value());
        assertEquals(0.0, m.get("cbb").value());
        // the package's value for an empty candidate: only the data-flow part (0 counted as 1) remains
        assertEquals(0.25, m.get("codebleu").value(), 1e-12);
    }

    @Test
    void negativeCosine_isReportedRaw_andClampedToZeroInCbb() {
        Map<String, Metric> m = byName(new CodeSimilarity(new FunctionEmbedder(t -> t.equals(REFERENCE)
                ? new float[] {1, 0} : new float[] {-1, 0.5f})).score(REFERENCE, CANDIDATE).metrics());
        assertTrue(m.get("codebert").value() < 0);
        assertEquals(0.0, m.get("cbb").value());
    }

    @Test
    void zeroEmbedding_makesCodebertUnavailable_notZero() {
        Map<String, Metric> m = byName(new CodeSimilarity(new FunctionEmbedder(t -> new float[3]))
                .score(REFERENCE, CANDIDATE).metrics());
        assertFalse(m.get("codebert").available());
        assertFalse(m.get("cbb").available());
    }

    @Test
    void embedderWithInconsistentLengths_isAnError() {
        CodeSimilarity s = new CodeSimilarity(new FunctionEmbedder(t -> new float[t.length() % 2 == 0 ? 2 : 3]));
        assertThrows(IllegalStateException.class, () -> s.score("a = 1\n", "bb = 1\n"));
    }

    @Test
    void tooLargeCandidate_makesEveryMetricUnavailable() {
        String huge = "x = 1\n".repeat(PythonSyntax.MAX_CODE_CHARS / 6 + 1);
        List<Metric> metrics = new CodeSimilarity().score(REFERENCE, huge).metrics();
        assertEquals(9, metrics.size());
        assertTrue(metrics.stream().noneMatch(Metric::available), metrics.toString());
    }
}
