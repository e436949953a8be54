package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class DtwTest {

    static Stream<Long> seeds() {
        return IntStream.range(0, 60).mapToObj(i -> 1000L + i);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void align_equalsBruteForceMinimumOverAllWarpingPaths(long seed) {
        Random rnd = new Random(seed);
        int n = 1 + rnd.nextInt(5);
        int m = 1 + rnd.nextInt(5);
        double[][] cost = new double[n][m];
        for (double[] row : cost) {
            for (int j = 0; j < m; j++) {
                // coarse values make ties frequent, which exercises the tie order
                row[j] = rnd.nextInt(4) / 4.0;
            }
        }
        double best = bruteForce(cost, 0, 0);
        Dtw.Alignment a = Dtw.align(n, m, (i, j) -> cost[i][j]);
        assertEquals(best, a.distance(), 1e-12);
        // the path is a valid warping path whose cost is the distance
        List<Dtw.Step> path = a.path();
        assertEquals(new Dtw.Step(0, 0), path.getFirst());
        assertEquals(new Dtw.Step(n - 1, m - 1), path.getLast());
        double sum = cost[0][0];
        for (int k = 1; k < path.size(); k++) {
            int di = path.get(k).i() - path.get(k - 1).i();
            int dj = path.get(k).j() - path.get(k - 1).j();
            assertEquals(true, (di == 0 || di == 1) && (dj == 0 || dj == 1) && di + dj > 0, "step " + path);
            sum += cost[path.get(k).i()][path.get(k).j()];
        }
        assertEquals(a.distance(), sum, 1e-12);
    }

    /** Cheapest warping path from (i, j) to the end, trying every step: exponential, fine for 5x5. */
    private static double bruteForce(double[][] c, int i, int j) {
        int n = c.length;
        int m = c[0].length;
        if (i == n - 1 && j == m - 1) {
            return c[i][j];
        }
        List<Double> next = new ArrayList<>();
        if (i + 1 < n) {
            next.add(bruteForce(c, i + 1, j));
        }
        if (j + 1 < m) {
            next.add(bruteForce(c, i, j + 1));
        }
        if (i + 1 < n && j + 1 < m) {
            next.add(bruteForce(c, i + 1, j + 1));
        }
        return c[i][j] + next.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    @Test
    void align_sequencesUsesAbsoluteDifference() {
        Dtw.Alignment a = Dtw.align(new double[] {1, 2, 3}, new double[] {1, 3});
        assertEquals(1.0, a.distance(), 1e-12);  // 1-1, 2-? (1 either way), 3-3
    }

    @Test
    void align_prefersStepFromAboveOnTies() {
        // all costs 0: every path is optimal; fastdtw's order picks (i-1, j) first, so the path goes down first
        Dtw.Alignment a = Dtw.align(3, 3, (i, j) -> 0);
        assertEquals(List.of(new Dtw.Step(0, 0), new Dtw.Step(0, 1), new Dtw.Step(0, 2), new Dtw.Step(1, 2),
                new Dtw.Step(2, 2)), a.path());
    }

    @Test
    void align_emptySequenceIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Dtw.align(new double[0], new double[] {1}));
    }
}
