package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Aggregation against hand-computed values. */
class SummaryTest {
    private static FinalRow row(String task, String strategy, String level, boolean ok, int repairs, Double vs, Double codebleu) {
        Map<String, Double> m = new HashMap<>();
        m.put("vs_corrected_ssim", vs);
        m.put("codebleu", codebleu);
        m.put("vs_paper", null);
        return new FinalRow(task, strategy, level, ok, repairs, repairs + 1, 100, 20, 5, 7, 40, "", List.of(), null, null, m,
                Map.of("vs_paper", "no CLIP image embedder configured"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> get(Map<String, Object> m, String... path) {
        Object o = m;
        for (String p : path) {
            o = ((Map<String, Object>) o).get(p);
        }
        return (Map<String, Object>) o;
    }

    @Test
    void meansPerStrategyAndLevelWithFailuresAveragedInAndUnavailableAsNull() {
        List<FinalRow> rows = List.of(
                row("a", "ritl", "Basic", true, 0, 0.9, 0.8),
                row("b", "ritl", "Basic", true, 1, 0.6, 0.5),
                row("c", "ritl", "Advanced", false, 3, 0.0, 0.2),   // failed render: visual 0, averaged in
                row("d", "ritl", "Advanced", true, 2, 0.3, 0.7),
                row("a", "vanilla", "Basic", false, 0, 0.0, 0.4));
        Map<String, Object> s = Summary.of(rows, List.of("vanilla", "ritl"));
        Map<String, Object> all = get(s, "metrics", "ritl", "all");
        assertEquals(4, all.get("n"));
        assertEquals(0.75, (double) get(all, "rsr").get("mean"), 1e-12);
        assertEquals((0.9 + 0.6 + 0.0 + 0.3) / 4, (double) get(all, "vs_corrected_ssim").get("mean"), 1e-12);
        assertEquals((0.8 + 0.5 + 0.2 + 0.7) / 4, (double) get(all, "codebleu").get("mean"), 1e-12);
        assertEquals(1.5, (double) get(all, "mean_rounds").get("mean"), 1e-12);
        assertEquals(120.0, (double) get(all, "tokens").get("mean"), 1e-12);
        assertNull(all.get("vs_paper"), "no task has it: null, never 0");
        assertNull(all.get("cbb"));
        Map<String, Object> advanced = get(s, "metrics", "ritl", "levels", "Advanced");
        assertEquals(2, advanced.get("n"));
        assertEquals(0.5, (double) get(advanced, "rsr").get("mean"), 1e-12);
        assertEquals(0.15, (double) get(advanced, "vs_corrected_ssim").get("mean"), 1e-12);
        assertEquals(0.0, (double) get(s, "metrics", "vanilla", "all", "rsr").get("mean"));
        assertEquals("no CLIP image embedder configured", ((Map<?, ?>) s.get("unavailable")).get("vs_paper"));

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> corr = (List<Map<String, Object>>) ((Map<String, Object>) s.get("correlations")).get("ritl");
        Map<String, Object> c = corr.stream().filter(m -> m.get("code").equals("codebleu") && m.get("visual").equals("vs_corrected_ssim"))
                .findFirst().orElseThrow();
        assertEquals(4, c.get("n"));
        assertEquals(Statistics.pearson(new double[] {0.8, 0.5, 0.2, 0.7}, new double[] {0.9, 0.6, 0.0, 0.3}), (double) c.get("pearson"), 1e-12);
        // ranks codebleu 4,2,1,3; vs 4,3,1,2 -> spearman = pearson of ranks = 0.8
        assertEquals(0.8, (double) c.get("spearman"), 1e-12);
        assertTrue(corr.stream().noneMatch(m -> m.get("visual").equals("vs_paper")), "no correlation without values");
    }

    @Test
    void blankRendersCountForRsrButNotForNonBlankRsr() {
        FinalRow drew = row("a", "ritl", "Basic", true, 0, 0.9, 0.8);
        drew.metrics().put("blank", 0.0);
        FinalRow empty = row("b", "ritl", "Basic", true, 0, 0.5, 0.9);
        empty.metrics().put("blank", 1.0);
        FinalRow failed = row("c", "ritl", "Basic", false, 3, 0.0, 0.2);
        Map<String, Object> all = get(Summary.of(List.of(drew, empty, failed), List.of("ritl")), "metrics", "ritl", "all");
        assertEquals(2.0 / 3, (double) get(all, "rsr").get("mean"), 1e-12);
        assertEquals(1.0 / 3, (double) get(all, "rsr_nonblank").get("mean"), 1e-12);
    }

    @Test
    void aMetricSomeTasksLackIsNotAveragedOverTheOthers() {
        // Without a CLIP model a failed render still has VS 0 (published rule) while rendered tasks have none:
        // averaging the zeros alone would report a VS of 0.
        FinalRow failed = row("a", "ritl", "Basic", false, 3, 0.0, 0.3);
        failed.metrics().put("vs_paper", 0.0);
        FinalRow rendered = row("b", "ritl", "Basic", true, 0, 0.8, 0.9);
        Map<String, Object> all = get(Summary.of(List.of(failed, rendered), List.of("ritl")), "metrics", "ritl", "all");
        assertNull(all.get("vs_paper"));
        assertEquals(0.4, (double) get(all, "vs_corrected_ssim").get("mean"), 1e-12);
    }


    @Test
    void aMetricWithoutItsModelIsNullEvenWhereEveryAnswerFailedAsZero() {
        // Every answer failed, so each carries the published VS of 0; without a CLIP model that 0 is no measurement.
        List<FinalRow> rows = List.of(failedWithZeroVs("a"), failedWithZeroVs("b"), failedWithZeroVs("c"));
        Map<String, Object> s = Summary.of(rows, List.of("vanilla"), Map.of(), Map.of("vs_paper", "needs a CLIP image embedder"));
        Map<String, Object> all = get(s, "metrics", "vanilla", "all");
        assertNull(all.get("vs_paper"));
        assertEquals(0.0, (double) get(s, "metrics", "vanilla", "all", "vs_corrected_ssim").get("mean"), "an available metric keeps its zeros");
        assertEquals("needs a CLIP image embedder", ((Map<?, ?>) s.get("unavailable")).get("vs_paper"));
        assertTrue(((List<?>) ((Map<?, ?>) s.get("correlations")).get("vanilla")).stream()
                .noneMatch(c -> "vs_paper".equals(((Map<?, ?>) c).get("visual"))), "no correlation with the zeros");
        Map<String, Object> withModel = Summary.of(rows, List.of("vanilla"), Map.of(), Map.of());
        assertEquals(0.0, (double) get(withModel, "metrics", "vanilla", "all", "vs_paper").get("mean"), "with the model the 0s are real");
    }

    private static FinalRow failedWithZeroVs(String task) {
        Map<String, Double> m = new HashMap<>();
        m.put("vs_paper", 0.0);
        m.put("vs_corrected_ssim", 0.0);
        m.put("codebleu", task.equals("a") ? 0.5 : task.equals("b") ? 0.7 : 0.9);
        return new FinalRow(task, "vanilla", null, false, 0, 1, 0, 0, 0, 0, 1, "", List.of(), "runtime_error", "boom", m, Map.of());
    }
}
