package dev.renderloop.score;

import java.util.List;

/**
 * CodeBLEU and its four components for one (reference, candidate) pair, from {@link CodeBleu#score}.
 *
 * @param codebleu             0.25 each of the four components, with a data-flow match of 0 counted as 1 (the
 *                             package's {@code dataflow_match_score or 1})
 * @param ngramMatch           BLEU-4 over whitespace tokens
 * @param weightedNgramMatch   keyword-weighted n-gram recall
 * @param syntaxMatch          share of the reference's syntax subtrees found in the candidate
 * @param dataflowMatch        share of the reference's data-flow edges found in the candidate; 0 when the reference
 *                             has none
 * @param referenceHasDataFlow false when the reference has no data-flow edges (then {@code dataflowMatch} is 0 by
 *                             convention, not by mismatch)
 * @param unavailable          why nothing was computed (code too large or too deeply nested), or null; then all values are NaN
 */
public record CodeBleuScore(double codebleu, double ngramMatch, double weightedNgramMatch, double syntaxMatch,
                            double dataflowMatch, boolean referenceHasDataFlow, String unavailable) {

    static CodeBleuScore unavailable(String reason) {
        return new CodeBleuScore(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, false, reason);
    }

    /** Whether the values were computed. */
    public boolean available() {
        return unavailable == null;
    }

    /**
     * The values as metrics, in this order: {@code codebleu}, {@code codebleu_ngram}, {@code codebleu_weighted_ngram},
     * {@code codebleu_syntax}, {@code codebleu_dataflow}; all unavailable (with the reason) when not computed.
     */
    public List<Metric> metrics() {
        return List.of(
                metric("codebleu", codebleu),
                metric("codebleu_ngram", ngramMatch),
                metric("codebleu_weighted_ngram", weightedNgramMatch),
                metric("codebleu_syntax", syntaxMatch),
                metric("codebleu_dataflow", dataflowMatch));
    }

    private Metric metric(String name, double value) {
        return available() ? Metric.of(name, value) : Metric.unavailable(name, unavailable);
    }
}
