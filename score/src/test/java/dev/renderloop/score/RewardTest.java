package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RewardTest {

    private static RewardInput rendered(double cbb, double vs) {
        return new RewardInput(true, true, true, true, List.of(Metric.of("cbb", cbb), Metric.of("vs_paper", vs)));
    }

    @Test
    void manimDefaultIsTwentyEightyArithmetic() {
        Reward r = Reward.of(RewardSpec.manim(), rendered(0.5, 0.75));
        assertEquals(0.2 * 0.5 + 0.8 * 0.75, r.total().value(), 1e-12);
        assertEquals(List.of("reward", "reward_code", "reward_visual"), r.metrics().stream().map(Metric::name).toList());
        assertEquals(0.5, r.components().get(0).value());
        assertEquals(0.75, r.components().get(1).value());
    }

    @Test
    void geometricIsSquareRootOfProduct() {
        Reward r = Reward.of(RewardSpec.manimGeometric(), rendered(0.25, 0.64));
        assertEquals(0.4, r.total().value(), 1e-12);
    }

    @Test
    void failedRenderKeepsTheCodePartOnly() {
        RewardInput in = new RewardInput(true, true, true, false, List.of(Metric.of("cbb", 0.6)));
        Reward r = Reward.of(RewardSpec.manim(), in);
        assertEquals(0.2 * 0.6, r.total().value(), 1e-12);
        assertTrue(r.explain().startsWith("render failed"));
    }

    @Test
    void emptyOrUnparseableCodeScoresZeroForBothParts() {
        RewardInput unparseable = new RewardInput(true, false, true, true, List.of(Metric.of("cbb", 0.9), Metric.of("vs_paper", 0.9)));
        assertEquals(0, Reward.of(RewardSpec.manim(), unparseable).total().value());
        RewardInput empty = new RewardInput(false, false, false, false, List.of());
        assertEquals(0, Reward.of(RewardSpec.manim(), empty).total().value());
        assertEquals(0, Reward.of(RewardSpec.manimGeometric(), empty).total().value());
    }

    @Test
    void vinciCoderRules() {
        RewardSpec spec = RewardSpec.vinciCoder();
        RewardInput good = new RewardInput(true, true, true, true, List.of(Metric.of("tiled", 0.8)));
        assertEquals(0.9 * 0.8 + 0.1, Reward.of(spec, good).total().value(), 1e-12);
        RewardInput untagged = new RewardInput(true, true, false, true, List.of(Metric.of("tiled", 0.8)));
        assertEquals(0.9 * 0.8, Reward.of(spec, untagged).total().value(), 1e-12);
        RewardInput failed = new RewardInput(true, true, true, false, List.of());
        assertEquals(0.1, Reward.of(spec, failed).total().value(), 1e-12);
        RewardInput noCode = new RewardInput(false, false, false, false, List.of(Metric.of("tiled", 0.8)));
        assertEquals(0, Reward.of(spec, noCode).total().value());
    }

    @Test
    void anUnavailablePartMakesTheTotalUnavailableNeverZero() {
        RewardInput in = new RewardInput(true, true, true, true,
                List.of(Metric.unavailable("cbb", "no CodeBERT model configured"), Metric.of("vs_paper", 0.9)));
        Reward r = Reward.of(RewardSpec.manim(), in);
        assertFalse(r.total().available());
        assertTrue(r.total().unavailable().contains("no CodeBERT model configured"), r.total().unavailable());
        assertTrue(Double.isNaN(r.total().value()));
    }

    @Test
    void aMissingMetricIsReportedAsNotMeasured() {
        RewardInput in = new RewardInput(true, true, true, true, List.of(Metric.of("cbb", 0.5)));
        Reward r = Reward.of(RewardSpec.manim(), in);
        assertFalse(r.total().available());
        assertTrue(r.total().unavailable().contains("vs_paper was not measured"));
    }

    @Test
    void specsRoundTripThroughText() {
        Random random = new Random(7);
        for (int i = 0; i < 50; i++) {
            RewardSpec spec = switch (random.nextInt(3)) {
                case 0 -> new RewardSpec(RewardSpec.Formula.ARITHMETIC, "codebleu", "vs_corrected", random.nextDouble(), random.nextDouble());
                case 1 -> new RewardSpec(RewardSpec.Formula.GEOMETRIC, "cbb", "vs_corrected", 0, 0);
                default -> new RewardSpec(RewardSpec.Formula.VISUAL_FORMAT, null, "ssim", random.nextDouble(), random.nextDouble());
            };
            assertEquals(spec, RewardSpec.parse(spec.toString()));
        }
        assertEquals(RewardSpec.manim(), RewardSpec.parse(" Manim "));
        assertEquals(RewardSpec.vinciCoder(), RewardSpec.parse("vincicoder"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "manim2", "arithmetic:cbb", "arithmetic:cbb=x,vs=1", "geometric:,vs", "visual-format:tiled=0.9,fmt=0.1",
            "arithmetic:cbb=-1,vs=1"})
    void badSpecsAreRejectedWithTheAcceptedForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RewardSpec.parse(text));
        assertTrue(e.getMessage().contains("reward") , e.getMessage());
    }

    @Test
    void metricsWithoutValueOrReasonAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Metric("x", Double.NaN, null));
        assertThrows(NullPointerException.class, () -> Metric.unavailable("x", null));
    }
}
