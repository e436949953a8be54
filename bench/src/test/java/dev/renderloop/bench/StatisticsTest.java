package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Statistics against values worked out by hand. */
class StatisticsTest {

    @Test
    void pearsonOfAHandWorkedExample() {
        // x = 1..5, y = 2,4,5,4,5: mean 3 and 4; sxy = 6, sxx = 10, syy = 6 -> r = 6 / sqrt(60) = 0.774596...
        assertEquals(6 / Math.sqrt(60), Statistics.pearson(new double[] {1, 2, 3, 4, 5}, new double[] {2, 4, 5, 4, 5}), 1e-12);
        assertTrue(Double.isNaN(Statistics.pearson(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "no variance: undefined");
    }

    @Test
    void spearmanUsesAverageRanksForTies() {
        // y = 2,4,5,4,5 ranks to 1, 2.5, 4.5, 2.5, 4.5; x ranks 1..5.
        assertArrayEquals(new double[] {1, 2.5, 4.5, 2.5, 4.5}, Statistics.ranks(new double[] {2, 4, 5, 4, 5}), 0);
        // Pearson of (1..5) and (1, 2.5, 4.5, 2.5, 4.5): mean 3, 3; sxy = (-2)(-2)+(-1)(-0.5)+0+(1)(-0.5)+(2)(1.5) = 7,
        // sxx = 10, syy = 4 + 0.25 + 2.25 + 0.25 + 2.25 = 9 -> 7 / sqrt(90).
        assertEquals(7 / Math.sqrt(90), Statistics.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 4, 5, 4, 5}), 1e-12);
        assertEquals(-1.0, Statistics.spearman(new double[] {1, 2, 3}, new double[] {30, 20, 10}), 1e-12);
    }

    @Test
    void percentileInterpolatesLikeNumpy() {
        double[] sorted = {1, 2, 3, 4};
        assertEquals(1.075, Statistics.percentile(sorted, 0.025), 1e-12); // pos 0.075
        assertEquals(3.925, Statistics.percentile(sorted, 0.975), 1e-12); // pos 2.925
        assertEquals(2.5, Statistics.percentile(sorted, 0.5), 1e-12);
    }

    @Test
    void bootstrapIsDeterministicAndBracketsTheMean() {
        Random r = new Random(5);
        for (int trial = 0; trial < 20; trial++) {
            double[] x = new double[5 + r.nextInt(60)];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextDouble() < 0.8 ? 1 : 0;
            }
            double[] ci = Statistics.bootstrapCi(x, 42);
            assertArrayEquals(ci, Statistics.bootstrapCi(x, 42), 0);
            double m = Statistics.mean(x);
            assertTrue(ci[0] <= m + 1e-12 && m <= ci[1] + 1e-12, m + " in " + ci[0] + ".." + ci[1]);
            assertTrue(ci[0] >= 0 && ci[1] <= 1);
        }
        assertArrayEquals(new double[] {0.7, 0.7}, Statistics.bootstrapCi(new double[] {0.7}, 1), 0);
        assertArrayEquals(new double[] {1, 1}, Statistics.bootstrapCi(new double[] {1, 1, 1, 1}, 1), 0);
    }
}
