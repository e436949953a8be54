package dev.renderloop.score;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Exact dynamic time warping in O(n m) time and memory (the published code used {@code fastdtw}, an
 * approximation whose distance is never below the exact one).
 *
 * <p>A warping path runs from {@code (0, 0)} to {@code (n - 1, m - 1)} with steps {@code (1, 0)},
 * {@code (0, 1)} and {@code (1, 1)}; its cost is the sum of {@code cost(i, j)} over the cells it visits,
 * the same convention as the distance {@code fastdtw} returns. Among equally cheap predecessors the path
 * prefers {@code (i - 1, j)}, then {@code (i, j - 1)}, then {@code (i - 1, j - 1)}, as fastdtw's exact inner
 * step does.
 */
public final class Dtw {

    private Dtw() {
    }

    /** The cost of matching element {@code i} of the first sequence with element {@code j} of the second. */
    @FunctionalInterface
    public interface Cost {
        double cost(int i, int j);
    }

    /** One cell of a warping path: element {@code i} of the first sequence matched with element {@code j}. */
    public record Step(int i, int j) {
    }

    /**
     * The optimal alignment.
     *
     * @param distance sum of the costs along {@link #path}
     * @param path     the cells of an optimal warping path, from {@code (0, 0)} to {@code (n - 1, m - 1)}
     */
    public record Alignment(double distance, List<Step> path) {
        public Alignment {
            path = List.copyOf(path);
        }
    }

    /**
     * Aligns two sequences of lengths {@code n} and {@code m} under a pairwise cost.
     *
     * @throws IllegalArgumentException when either length is below 1
     */
    public static Alignment align(int n, int m, Cost cost) {
        if (n < 1 || m < 1) {
            throw new IllegalArgumentException("DTW needs two non-empty sequences, got lengths " + n + " and " + m);
        }
        Objects.requireNonNull(cost, "cost");
        // acc[i][j] = cost of the best path from (0, 0) to (i, j); move[i][j] = which predecessor it took.
        double[][] acc = new double[n][m];
        byte[][] move = new byte[n][m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double c = cost.cost(i, j);
                if (i == 0 && j == 0) {
                    acc[i][j] = c;
                    continue;
                }
                double best = Double.POSITIVE_INFINITY;
                byte from = 0;
                if (i > 0 && acc[i - 1][j] + c < best) {
                    best = acc[i - 1][j] + c;
                    from = UP;
                }
                if (j > 0 && acc[i][j - 1] + c < best) {
                    best = acc[i][j - 1] + c;
                    from = LEFT;
                }
                if (i > 0 && j > 0 && acc[i - 1][j - 1] + c < best) {
                    best = acc[i - 1][j - 1] + c;
                    from = DIAGONAL;
                }
                acc[i][j] = best;
                move[i][j] = from;
            }
        }
        List<Step> path = new ArrayList<>(n + m);
        int i = n - 1;
        int j = m - 1;
        while (true) {
            path.add(new Step(i, j));
            if (i == 0 && j == 0) {
                break;
            }
            switch (move[i][j]) {
                case UP -> i--;
                case LEFT -> j--;
                default -> {
                    i--;
                    j--;
                }
            }
        }
        Collections.reverse(path);
        return new Alignment(acc[n - 1][m - 1], path);
    }

    /** Aligns two number sequences with the absolute difference as cost. */
    public static Alignment align(double[] a, double[] b) {
        return align(a.length, b.length, (i, j) -> Math.abs(a[i] - b[j]));
    }

    private static final byte UP = 1;
    private static final byte LEFT = 2;
    private static final byte DIAGONAL = 3;
}
