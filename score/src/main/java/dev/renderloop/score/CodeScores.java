package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * All code metrics for one (reference, candidate) pair, from {@link CodeSimilarity#score}.
 *
 * @param candidateSyntax the candidate's syntax check
 * @param codeBleu        CodeBLEU and components
 * @param astDistance     the AST distance
 * @param codebert        {@code codebert}: cosine of the CodeBERT embeddings, or unavailable
 * @param cbb             {@code cbb}: sqrt(max(0, codebert) * codebleu), 0 for an empty or unparseable candidate,
 *                        unavailable when codebert is
 */
public record CodeScores(SyntaxCheck candidateSyntax, CodeBleuScore codeBleu, AstDistance astDistance,
                         Metric codebert, Metric cbb) {

    public CodeScores {
        Objects.requireNonNull(candidateSyntax, "candidateSyntax");
        Objects.requireNonNull(codeBleu, "codeBleu");
        Objects.requireNonNull(astDistance, "astDistance");
        Objects.requireNonNull(codebert, "codebert");
        Objects.requireNonNull(cbb, "cbb");
    }

    /**
     * The metrics in this order: {@code syntax_ok}, {@code codebleu}, {@code codebleu_ngram},
     * {@code codebleu_weighted_ngram}, {@code codebleu_syntax}, {@code codebleu_dataflow}, {@code ast_distance},
     * {@code codebert}, {@code cbb}. {@code syntax_ok} is 1 or 0, unavailable only for code too large to parse.
     */
    public List<Metric> metrics() {
        List<Metric> out = new ArrayList<>(9);
        out.add(candidateSyntax.status() == SyntaxCheck.Status.TOO_LARGE
                ? Metric.unavailable("syntax_ok", candidateSyntax.detail())
                : Metric.of("syntax_ok", candidateSyntax.syntaxOk() ? 1.0 : 0.0));
        out.addAll(codeBleu.metrics());
        out.add(astDistance.metric());
        out.add(codebert);
        out.add(cbb);
        return List.copyOf(out);
    }
}
