package dev.renderloop.score;

/**
 * The code metrics of the paper for one (reference, candidate) pair of Python programs: syntax flag, CodeBLEU with
 * its components, AST distance, CodeBERT similarity and CBB = sqrt(CodeBERT * CodeBLEU), the code part of the unified
 * reward.
 *
 * <h2>Rules at the edges</h2>
 * <ul>
 *   <li><b>No embedder configured</b>: {@code codebert} and {@code cbb} are unavailable (never 0 or 1).</li>
 *   <li><b>Empty or unparseable candidate</b> (blank, or tree-sitter finds ERROR/MISSING nodes): {@code syntax_ok} is
 *       0 and {@code cbb} is 0, the published reward rule ("empty or unparseable code: 0 for both parts"). The other
 *       metrics are still reported as computed on the text: CodeBLEU and its components as the package computes them
 *       for any text, {@code ast_distance} over tree-sitter's error-tolerant tree, {@code codebert} as the model
 *       embeds the text. Callers building the reward must use {@code cbb}, not recombine the parts.</li>
 *   <li><b>Negative cosine</b>: CodeBERT cosines are almost always positive, but a negative one is clamped to 0
 *       before the square root, so {@code cbb} is 0 then; {@code codebert} itself reports the raw cosine.</li>
 *   <li><b>Code too large</b> (over {@link PythonSyntax#MAX_CODE_CHARS}): every metric is unavailable with that
 *       reason.</li>
 * </ul>
 *
 * <p>Thread-safe when the embedder is (the {@link TextEmbedder} contract requires it).
 */
public final class CodeSimilarity {

    private final TextEmbedder codebert;

    /** Without CodeBERT: {@code codebert} and {@code cbb} are reported unavailable. */
    public CodeSimilarity() {
        this(null);
    }

    /**
     * @param codebert the CodeBERT embedder (mean-pooled last hidden state of {@code microsoft/codebert-base}), or
     *                 {@code null} for none
     */
    public CodeSimilarity(TextEmbedder codebert) {
        this.codebert = codebert;
    }

    /** Whether a CodeBERT embedder is configured. */
    public boolean hasCodeBert() {
        return codebert != null;
    }

    /**
     * Scores {@code candidate} against {@code reference}.
     *
     * @param reference the reference program; {@code null} is empty
     * @param candidate the generated program; {@code null} is empty
     * @return all metrics; see the class comment for what each reports at the edges
     * @throws RuntimeException only what the embedder throws
     */
    public CodeScores score(String reference, String candidate) {
        String ref = reference == null ? "" : reference;
        String cand = candidate == null ? "" : candidate;
        SyntaxCheck syntax = PythonSyntax.check(cand);
        if (ref.length() > PythonSyntax.MAX_CODE_CHARS || syntax.status() == SyntaxCheck.Status.TOO_LARGE) {
            String reason = "code longer than " + PythonSyntax.MAX_CODE_CHARS + " characters";
            return new CodeScores(syntax, CodeBleuScore.unavailable(reason), new AstDistance(-1, 0, 0, reason),
                    Metric.unavailable("codebert", reason), Metric.unavailable("cbb", reason));
        }
        CodeBleuScore bleu = CodeBleu.score(ref, cand);
        AstDistance ast = AstDistance.between(ref, cand);
        Metric bert = codebert(ref, cand);
        Metric cbb;
        if (!bert.available()) {
            cbb = Metric.unavailable("cbb", "needs codebert: " + bert.unavailable());
        } else if (!syntax.syntaxOk()) {
            cbb = Metric.of("cbb", 0.0);
        } else {
            cbb = Metric.of("cbb", Math.sqrt(Math.max(0.0, bert.value()) * bleu.codebleu()));
        }
        return new CodeScores(syntax, bleu, ast, bert, cbb);
    }

    private Metric codebert(String reference, String candidate) {
        if (codebert == null) {
            return Metric.unavailable("codebert", "no CodeBERT embedder configured");
        }
        float[] a = codebert.embed(reference);
        float[] b = codebert.embed(candidate);
        if (a.length != b.length) {
            throw new IllegalStateException("embedder " + codebert.name() + " returned vectors of lengths "
                    + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 || nb == 0) {
            return Metric.unavailable("codebert", "embedder " + codebert.name() + " returned a zero vector");
        }
        return Metric.of("codebert", dot / Math.sqrt(na * nb));
    }
}
