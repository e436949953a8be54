package dev.renderloop.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The metrics of a run as {@code summary.json} holds them: per strategy, over all tasks and per level, the mean
 * and 95 % bootstrap interval of RSR, the visual and code metrics, repair rounds, tokens and latency; Pearson and
 * Spearman correlations between code and visual metrics per strategy (the paper's analysis).
 *
 * <p>Computed from the {@code finals} rows alone, in task order, with a fixed bootstrap seed: a resumed run and an
 * uninterrupted one give identical numbers. A metric is {@code null} unless every task of the group has a value
 * (the reasons are under {@code unavailable}); a failed render's visual metrics are 0, and that 0 is averaged in, as
 * published. The visual metrics compare with the reference's render, so they are averaged over the tasks whose
 * reference rendered; the others are listed under {@code left_out} with the reason (each visual stat's {@code n}
 * says how many tasks it covers). RSR and the code metrics stay over every task.
 */
final class Summary {
    static final List<String> GROUP_METRICS = List.of("vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim", "ssim", "tiled",
            "codebleu", "codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax", "codebleu_dataflow", "codebert", "cbb",
            "ast_distance", "syntax_ok");
    static final List<String> CODE = List.of("codebleu", "cbb", "ast_distance");
    static final List<String> VISUAL = List.of("vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim", "ssim", "tiled");
    static final long SEED = 20260422L;

    private Summary() {
    }

    static Map<String, Object> of(List<FinalRow> rows, List<String> strategies) {
        return of(rows, strategies, Map.of());
    }

    /**
     * @param referenceFailures task id -> why its reference did not render: those tasks are left out of the visual
     *                          metrics (and their "reference does not render" reasons out of {@code unavailable})
     */
    static Map<String, Object> of(List<FinalRow> rows, List<String> strategies, Map<String, String> referenceFailures) {
        return of(rows, strategies, referenceFailures, Map.of());
    }

    /**
     * @param unavailableInRun metric -> why no task of the run can have it (e.g. VS without a CLIP model): such a
     *                         metric is null even where every answer failed and so "scored" the published 0
     */
    static Map<String, Object> of(List<FinalRow> rows, List<String> strategies, Map<String, String> referenceFailures,
                                  Map<String, String> unavailableInRun) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        Map<String, Object> correlations = new LinkedHashMap<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String strategy : strategies) {
            List<FinalRow> mine = rows.stream().filter(r -> r.strategy().equals(strategy)).toList();
            if (mine.isEmpty()) {
                continue;
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("all", group(mine, referenceFailures.keySet(), unavailableInRun.keySet()));
            Map<String, Object> levels = new LinkedHashMap<>();
            for (String level : new TreeSet<>(mine.stream().map(r -> r.level() == null ? "" : r.level()).toList())) {
                if (!level.isEmpty()) {
                    levels.put(level, group(mine.stream().filter(r -> level.equals(r.level())).toList(), referenceFailures.keySet(),
                            unavailableInRun.keySet()));
                }
            }
            s.put("levels", levels);
            metrics.put(strategy, s);
            correlations.put(strategy, correlations(mine.stream().filter(r -> !referenceFailures.containsKey(r.taskId())).toList())
                    .stream().filter(c -> !unavailableInRun.containsKey(c.get("code")) && !unavailableInRun.containsKey(c.get("visual"))).toList());
            for (FinalRow r : mine) {
                if (!referenceFailures.containsKey(r.taskId())) {
                    r.unavailable().forEach(unavailable::putIfAbsent);
                }
            }
        }
        unavailableInRun.forEach(unavailable::putIfAbsent);
        Set<String> inRun = new HashSet<>();
        rows.forEach(r -> inRun.add(r.taskId()));
        Map<String, String> leftTasks = new TreeMap<>(referenceFailures);
        leftTasks.keySet().retainAll(inRun);
        Map<String, Object> leftOut = new LinkedHashMap<>();
        leftOut.put("n", leftTasks.size());
        leftOut.put("of", inRun.size());
        leftOut.put("metrics", VISUAL);
        leftOut.put("why", "the visual metrics compare with the reference's render; these tasks' references did not "
                + "render here, so those metrics are averaged over the other tasks (RSR and code metrics cover all)");
        leftOut.put("tasks", leftTasks);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("metrics", metrics);
        out.put("correlations", correlations);
        out.put("unavailable", unavailable);
        out.put("left_out", leftOut);
        return out;
    }

    static Map<String, Object> group(List<FinalRow> rows) {
        return group(rows, Set.of());
    }

    static Map<String, Object> group(List<FinalRow> rows, Set<String> referenceFailed) {
        return group(rows, referenceFailed, Set.of());
    }

    static Map<String, Object> group(List<FinalRow> rows, Set<String> referenceFailed, Set<String> unavailableInRun) {
        List<FinalRow> visualRows = rows.stream().filter(r -> !referenceFailed.contains(r.taskId())).toList();
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("n", rows.size());
        g.put("rsr", stat(values(rows, r -> r.success() ? 1 : 0)));
        // RSR counts a render that drew nothing; this does not (a blank final render is not a success here).
        g.put("rsr_nonblank", stat(values(rows, r -> r.success() && !Double.valueOf(1.0).equals(r.metrics().get("blank")) ? 1 : 0)));
        for (String m : GROUP_METRICS) {
            List<FinalRow> over = VISUAL.contains(m) ? visualRows : rows;
            List<Double> present = new ArrayList<>();
            for (FinalRow r : over) {
                Double v = r.metrics().get(m);
                if (v != null) {
                    present.add(v);
                }
            }
            // Only a metric every task has is averaged: a mean over the tasks that happen to have it (say, the failed
            // renders, whose VS is 0 without any model) would be a different, biased number.
            g.put(m, present.isEmpty() || present.size() < over.size() || unavailableInRun.contains(m) ? null
                    : stat(present.stream().mapToDouble(Double::doubleValue).toArray()));
        }
        g.put("mean_rounds", stat(values(rows, FinalRow::repairs)));
        g.put("tokens", stat(values(rows, r -> r.promptTokens() + r.completionTokens())));
        g.put("latency_ms", stat(values(rows, FinalRow::wallMs)));
        return g;
    }

    private static double[] values(List<FinalRow> rows, ToDoubleFunction<FinalRow> f) {
        return rows.stream().mapToDouble(f).toArray();
    }

    static Map<String, Object> stat(double[] x) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("mean", Statistics.mean(x));
        double[] ci = Statistics.bootstrapCi(x, SEED);
        s.put("ci95", List.of(ci[0], ci[1]));
        s.put("n", x.length);
        return s;
    }

    static List<Map<String, Object>> correlations(List<FinalRow> rows) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String c : CODE) {
            for (String v : VISUAL) {
                // A metric that some rendered answer lacks is unavailable in this run (e.g. VS without a CLIP model,
                // which only failed renders "have", as the published 0): correlating its zeros would mean nothing.
                if (rows.stream().anyMatch(r -> r.success() && (r.metrics().get(v) == null || r.metrics().get(c) == null))) {
                    continue;
                }
                List<double[]> pairs = new ArrayList<>();
                for (FinalRow r : rows) {
                    Double a = r.metrics().get(c);
                    Double b = r.metrics().get(v);
                    if (a != null && b != null) {
                        pairs.add(new double[] {a, b});
                    }
                }
                if (pairs.size() < 3) {
                    continue;
                }
                double[] x = pairs.stream().mapToDouble(p -> p[0]).toArray();
                double[] y = pairs.stream().mapToDouble(p -> p[1]).toArray();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("code", c);
                m.put("visual", v);
                m.put("n", pairs.size());
                m.put("pearson", finite(Statistics.pearson(x, y)));
                m.put("spearman", finite(Statistics.spearman(x, y)));
                out.add(m);
            }
        }
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
