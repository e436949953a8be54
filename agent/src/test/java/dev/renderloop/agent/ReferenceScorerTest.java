package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.render.RenderResult;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Picture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferenceScorerTest {
    @Test
    void flatPicturesAreBlankAndAnyDrawingIsNot() {
        int[] black = new int[64 * 48];
        assertTrue(ReferenceScorer.blank(new Picture(64, 48, black)));
        int[] noisy = new int[64 * 48];
        java.util.Arrays.fill(noisy, 0x010201); // compression noise within 2 levels is still blank
        noisy[5] = 0x000000;
        assertTrue(ReferenceScorer.blank(new Picture(64, 48, noisy)));
        int[] dot = new int[64 * 48];
        dot[100] = 0xFFFFFF;
        assertFalse(ReferenceScorer.blank(new Picture(64, 48, dot)));
    }

    @Test
    void familiesHoldingARewardsKeys_areThoseKeysFamiliesOnly() {
        assertEquals(new ReferenceScorer.Families(false, false, true, false), ReferenceScorer.Families.holding(List.of("tiled")));
        assertEquals(new ReferenceScorer.Families(true, false, false, true),
                ReferenceScorer.Families.holding(List.of("cbb", "vs_corrected")));
        assertEquals(new ReferenceScorer.Families(false, true, false, false), ReferenceScorer.Families.holding(List.of("ssim", "blank")));
        assertEquals(ReferenceScorer.Families.ALL, ReferenceScorer.Families.holding(List.of("tiled", "lpips")),
                "a key no family is known to hold: every family, so it is reported as before");
    }

    @Test
    void scoringSomeFamilies_givesExactlyTheirMetrics_withTheValuesOfScoringAll(@TempDir Path dir) throws Exception {
        Random random = new Random(42);
        int[] ref = new int[96 * 64];
        int[] cand = new int[96 * 64];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = random.nextInt(0x1000000);
            cand[i] = random.nextBoolean() ? ref[i] : random.nextInt(0x1000000);
        }
        Path png = dir.resolve("cand.png");
        javax.imageio.ImageIO.write(new Picture(96, 64, cand).toBufferedImage(), "png", png.toFile());
        RenderResult render = new RenderResult("svg", null, "", List.of(png), png, png, null, 0, 0, false, "");
        try (ReferenceScorer scorer = new ReferenceScorer(null, null, null, null)) {
            Map<String, Double> all = values(scorer.score("matplotlib", "x = 1\n", List.of(new Picture(96, 64, ref)), "x = 2\n",
                    render, ReferenceScorer.Families.ALL));
            for (var keys : List.of(List.of("tiled"), List.of("ssim"), List.of("vs_corrected"), List.of("cbb", "tiled"))) {
                var families = ReferenceScorer.Families.holding(keys);
                Map<String, Double> some = values(scorer.score("matplotlib", "x = 1\n", List.of(new Picture(96, 64, ref)),
                        "x = 2\n", render, families));
                for (String k : keys) {
                    assertTrue(some.containsKey(k), keys + ": " + some);
                }
                assertTrue(some.containsKey("blank"));
                assertEquals(families.code(), some.containsKey("codebleu"), keys + ": " + some);
                assertEquals(families.ssim(), some.containsKey("ssim"), keys + ": " + some);
                assertEquals(families.video(), some.containsKey("vs_corrected_ssim"), keys + ": " + some);
                some.forEach((k, v) -> assertEquals(all.get(k), v, k));
            }
            Files.delete(png);
            RenderResult failed = RenderResult.failure("svg", dev.renderloop.render.ErrorKind.RUNTIME_ERROR, "boom", 0);
            assertEquals(Map.of("tiled", 0.0), values(scorer.score("svg", null, List.of(new Picture(96, 64, ref)), "",
                    failed, ReferenceScorer.Families.holding(List.of("tiled")))));
        }
    }

    private static Map<String, Double> values(List<Metric> metrics) {
        return metrics.stream().collect(Collectors.toMap(Metric::name, m -> m.available() ? m.value() : Double.NaN));
    }
}
