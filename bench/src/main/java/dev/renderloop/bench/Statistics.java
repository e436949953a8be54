package dev.renderloop.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/** The statistics the benchmark reports: means, percentile bootstrap intervals, Pearson and Spearman correlations. */
final class Statistics {
    /** Resamples per bootstrap interval. */
    static final int RESAMPLES = 2000;

    private Statistics() {
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /**
     * The 95 % percentile bootstrap interval of the mean: {@link #RESAMPLES} resamples drawn with a generator
     * seeded by {@code seed}, so the same values in the same order always give the same interval.
     * A single value gives [value, value].
     */
    static double[] bootstrapCi(double[] x, long seed) {
        if (x.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] means = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += x[random.nextInt(x.length)];
            }
            means[b] = s / x.length;
        }
        Arrays.sort(means);
        return new double[] {percentile(means, 0.025), percentile(means, 0.975)};
    }

    /** Linear interpolation between closest ranks (numpy's default). */
    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /** Pearson's r; NaN when either side has no variance. */
    static double pearson(double[] x, double[] y) {
        double mx = mean(x);
        double my = mean(y);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }

    /** Spearman's rho: Pearson's r of the ranks, ties given their average rank (as scipy does). */
    static double spearman(double[] x, double[] y) {
        return pearson(ranks(x), ranks(y));
    }

    static double[] ranks(double[] x) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(x[a], x[b]));
        double[] r = new double[x.length];
        int i = 0;
        while (i < x.length) {
            int j = i;
            while (j + 1 < x.length && x[order[j + 1]] == x[order[i]]) {
                j++;
            }
            double average = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = average;
            }
            i = j + 1;
        }
        return r;
    }
}
