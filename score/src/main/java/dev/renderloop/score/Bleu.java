package dev.renderloop.score;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two BLEU variants inside CodeBLEU, for one hypothesis and one reference: {@code bleu.corpus_bleu} (NLTK's
 * BLEU-4 with Chen and Cherry's smoothing method 1, epsilon 0.1) and {@code weighted_ngram_match.corpus_bleu}
 * (the same with n-gram recall in place of precision and unigram counts weighted 1 for keywords, 0.2 otherwise).
 */
final class Bleu {

    private static final double EPSILON = 0.1;
    private static final int MAX_N = 4;

    private Bleu() {
    }

    /** {@code bleu.corpus_bleu([[reference]], [hypothesis])}. */
    static double bleu(List<String> reference, List<String> hypothesis) {
        double[] num = new double[MAX_N + 1];
        double[] den = new double[MAX_N + 1];
        for (int n = 1; n <= MAX_N; n++) {
            Map<List<String>, Integer> counts = ngrams(hypothesis, n);
            Map<List<String>, Integer> refCounts = ngrams(reference, n);
            long clipped = 0;
            long total = 0;
            for (var e : counts.entrySet()) {
                clipped += Math.min(e.getValue(), refCounts.getOrDefault(e.getKey(), 0));
                total += e.getValue();
            }
            num[n] = clipped;
            den[n] = Math.max(1, total);
        }
        // closest_ref_length with a single reference is its length
        return combine(num, den, reference.size(), hypothesis.size());
    }

    /**
     * {@code weighted_ngram_match.corpus_bleu([[[reference, weights]]], [hypothesis])}.
     *
     * <p>The package passes each reference as a {@code [tokens, weights]} pair to {@code closest_ref_length}, which
     * takes {@code len()} of that pair: the reference length it uses for the brevity penalty is therefore always 2.
     * We reproduce that (it only matters for hypotheses of one or two tokens).
     */
    static double weightedNgramMatch(List<String> reference, List<String> hypothesis, Set<String> keywords) {
        double[] num = new double[MAX_N + 1];
        double[] den = new double[MAX_N + 1];
        for (int n = 1; n <= MAX_N; n++) {
            Map<List<String>, Integer> counts = ngrams(hypothesis, n);
            Map<List<String>, Integer> refCounts = ngrams(reference, n);
            if (n == 1) {
                // len(weights) == len(reference_counts) always holds: both are keyed by the distinct tokens.
                double numerator = 0;
                double denominator = 0;
                for (var e : refCounts.entrySet()) {
                    double w = keywords.contains(e.getKey().get(0)) ? 1 : 0.2;
                    numerator += Math.min(e.getValue(), counts.getOrDefault(e.getKey(), 0)) * w;
                    denominator += e.getValue() * w;
                }
                num[n] = numerator;
                den[n] = Math.max(1, denominator);
            } else {
                long clipped = 0;
                long total = 0;
                for (var e : refCounts.entrySet()) {
                    clipped += Math.min(e.getValue(), counts.getOrDefault(e.getKey(), 0));
                    total += e.getValue();
                }
                num[n] = clipped;
                den[n] = Math.max(1, total);
            }
        }
        return combine(num, den, 2, hypothesis.size());
    }

    private static double combine(double[] num, double[] den, int refLength, int hypLength) {
        if (num[1] == 0) {
            return 0;
        }
        double bp = brevityPenalty(refLength, hypLength);
        double s = 0;
        for (int n = 1; n <= MAX_N; n++) {
            double p = num[n] == 0 ? EPSILON : num[n];
            s += 0.25 * Math.log(p / den[n]);
        }
        return bp * Math.exp(s);
    }

    private static double brevityPenalty(int closestRefLength, int hypLength) {
        if (hypLength > closestRefLength) {
            return 1;
        } else if (hypLength == 0) {
            return 0;
        }
        return Math.exp(1 - (double) closestRefLength / hypLength);
    }

    /** n-gram counts; empty when the sequence is shorter than n (as the package guards). */
    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
        }
        return counts;
    }
}
