package dev.renderloop.score;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SSIM kernels of {@link Ssim} written with the JDK Vector API (incubator module {@code jdk.incubator.vector}).
 * Loaded only when the JVM resolved that module ({@link Ssim#kernel()}); the scalar kernels in {@link Ssim} are the
 * reference and the fallback. The integer parts (products, window sums, spreads) are exact, as in the scalar kernels;
 * only the ratio per window and the order in which the ratios are added differ, by about 1e-15 relative.
 *
 * <h2>Shape of the code, and why</h2>
 * Until C2 compiles them, Vector API calls run as plain Java that allocates a vector object per operation, about
 * a thousand times slower than compiled code. The JIT compiles a method after about 5,000 calls, or after enough
 * loop iterations inside it. Hence the vector work is in small methods that each handle one vector of windows or
 * pixels and contain no loop: they are called thousands of times per image and are compiled within the first tenth of
 * the first frame pair (measured: one method per pair with the loops inside cost about 1 s of CPU in a JVM's first
 * three pairs; this shape about a tenth of that). Once the row loops are compiled, the small methods are inlined
 * into them.
 */
final class VectorSsim {
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    /** As many int lanes as double lanes: window sums and spreads, converted to double one to one. */
    private static final VectorSpecies<Integer> INTS_D = IntVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(DOUBLES.length() * Integer.SIZE));
    private static final VectorSpecies<Short> SHORTS_D = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(DOUBLES.length() * Short.SIZE));
    /** A full register of ints, and as many bytes: pixel products. */
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(INTS.length() * Byte.SIZE));
    /** As many short lanes as {@link #INTS}: window sums stored as shorts. */
    private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(INTS.length() * Short.SIZE));
    private static final int WINDOW = Ssim.WINDOW;
    private static final int N = WINDOW * WINDOW;

    private VectorSsim() {
    }

    /**
     * Whether this machine's preferred vectors are wide enough for these kernels: 4 or more doubles (AVX2 or
     * AVX-512 on x86, SVE of 256 bits or more). With 128-bit vectors the short species would not exist.
     */
    static boolean usable() {
        return DOUBLES.length() >= 4;
    }

    /** Register width in bits, for reports. */
    static int bits() {
        return DOUBLES.vectorBitSize();
    }

    /** Mean SSIM over the interior, as {@code Ssim.crossSsimScalar}. */
    static double crossSsim(Ssim.Frame a, Ssim.Frame b) {
        int w = a.width;
        int iw = a.innerWidth;
        byte[] pa = a.pixels;
        byte[] pb = b.pixels;
        int[] col = new int[w];        // per column: sum of x*y over the window's 7 rows
        double[] acc = new double[DOUBLES.length()];
        int pixelEnd = w - w % INTS.length();
        int windowEnd = iw - iw % DOUBLES.length();
        for (int y = 0; y < WINDOW - 1; y++) {
            addProducts(pa, pb, y * w, col, pixelEnd, w);
        }
        double tail = 0;
        for (int oy = 0; oy < a.innerHeight; oy++) {
            int newest = (oy + WINDOW - 1) * w;
            if (oy == 0) {
                addProducts(pa, pb, newest, col, pixelEnd, w);
            } else {
                shiftProducts(pa, pb, newest, (oy - 1) * w, col, pixelEnd, w);
            }
            tail += windowRow(col, a, b, oy * iw, windowEnd, acc);
        }
        double total = tail;
        for (double v : acc) {
            total += v;
        }
        return total / ((double) iw * a.innerHeight);
    }

    /**
     * Mean SSIM of a prepared frame with the same-size region of a larger image whose first pixel is {@code pb[origin]}
     * and whose rows are {@code stride} bytes apart, without preparing the region: its window sums and spreads are
     * computed along with the cross term, row by row, and never stored. The same integers and the same order of
     * additions as {@code crossSsim(a, Ssim.prepare(region))}, so the same double (VectorSsimTest). A candidate's 13
     * tiles in the tiled reward thus need no 1.2 MB of statistics each.
     */
    static double crossSsim(Ssim.Frame a, byte[] pb, int origin, int stride) {
        int w = a.width;
        int iw = a.innerWidth;
        byte[] pa = a.pixels;
        int[] colB = new int[w];      // per column, over the window's 7 rows: sum of y
        int[] colBB = new int[w];     //                                        sum of y*y
        int[] colAB = new int[w];     //                                        sum of x*y
        double[] acc = new double[DOUBLES.length()];
        int pixelEnd = w - w % INTS.length();
        int windowEnd = iw - iw % DOUBLES.length();
        for (int y = 0; y < WINDOW - 1; y++) {
            addRegionRow(pa, y * w, pb, origin + y * stride, colB, colBB, colAB, pixelEnd, w);
        }
        double tail = 0;
        for (int oy = 0; oy < a.innerHeight; oy++) {
            int newest = oy + WINDOW - 1;
            if (oy == 0) {
                addRegionRow(pa, newest * w, pb, origin + newest * stride, colB, colBB, colAB, pixelEnd, w);
            } else {
                shiftRegionRow(pa, newest * w, (oy - 1) * w, pb, origin + newest * stride, origin + (oy - 1) * stride,
                        colB, colBB, colAB, pixelEnd, w);
            }
            tail += regionWindowRow(colB, colBB, colAB, a, oy * iw, windowEnd, acc);
        }
        double total = tail;
        for (double v : acc) {
            total += v;
        }
        return total / ((double) iw * a.innerHeight);
    }

    private static void addRegionRow(byte[] pa, int rowA, byte[] pb, int rowB, int[] colB, int[] colBB, int[] colAB,
                                     int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            addRegionRow(pa, rowA, pb, rowB, colB, colBB, colAB, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            int a = pa[rowA + x] & 0xFF;
            int b = pb[rowB + x] & 0xFF;
            colB[x] += b;
            colBB[x] += b * b;
            colAB[x] += a * b;
        }
    }

    private static void shiftRegionRow(byte[] pa, int rowA, int oldA, byte[] pb, int rowB, int oldB, int[] colB, int[] colBB,
                                       int[] colAB, int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            shiftRegionRow(pa, rowA, oldA, pb, rowB, oldB, colB, colBB, colAB, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            int a = pa[rowA + x] & 0xFF;
            int b = pb[rowB + x] & 0xFF;
            int a0 = pa[oldA + x] & 0xFF;
            int b0 = pb[oldB + x] & 0xFF;
            colB[x] += b - b0;
            colBB[x] += b * b - b0 * b0;
            colAB[x] += a * b - a0 * b0;
        }
    }

    /** As {@link #windowRow}, the region's window sums and spreads taken from its column sums. */
    private static double regionWindowRow(int[] colB, int[] colBB, int[] colAB, Ssim.Frame a, int rowStart, int windowEnd,
                                          double[] acc) {
        for (int x = 0; x < windowEnd; x += DOUBLES.length()) {
            regionWindows(colB, colBB, colAB, a.sum, a.spread, rowStart, x, acc);
        }
        double tail = 0;
        for (int x = windowEnd; x < a.innerWidth; x++) {
            int s = 0;
            int q = 0;
            int box = 0;
            for (int k = 0; k < WINDOW; k++) {
                s += colB[x + k];
                q += colBB[x + k];
                box += colAB[x + k];
            }
            tail += Ssim.ratio(a.sum[rowStart + x], s, a.spread[rowStart + x], N * q - s * s, box);
        }
        return tail;
    }

    private static void addRegionRow(byte[] pa, int rowA, byte[] pb, int rowB, int[] colB, int[] colBB, int[] colAB, int x) {
        IntVector a = (IntVector) ByteVector.fromArray(BYTES, pa, rowA + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector b = (IntVector) ByteVector.fromArray(BYTES, pb, rowB + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, colB, x).add(b).intoArray(colB, x);
        IntVector.fromArray(INTS, colBB, x).add(b.mul(b)).intoArray(colBB, x);
        IntVector.fromArray(INTS, colAB, x).add(a.mul(b)).intoArray(colAB, x);
    }

    private static void shiftRegionRow(byte[] pa, int rowA, int oldA, byte[] pb, int rowB, int oldB, int[] colB, int[] colBB,
                                       int[] colAB, int x) {
        IntVector a = (IntVector) ByteVector.fromArray(BYTES, pa, rowA + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector b = (IntVector) ByteVector.fromArray(BYTES, pb, rowB + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector a0 = (IntVector) ByteVector.fromArray(BYTES, pa, oldA + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector b0 = (IntVector) ByteVector.fromArray(BYTES, pb, oldB + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, colB, x).add(b).sub(b0).intoArray(colB, x);
        IntVector.fromArray(INTS, colBB, x).add(b.mul(b)).sub(b0.mul(b0)).intoArray(colBB, x);
        IntVector.fromArray(INTS, colAB, x).add(a.mul(b)).sub(a0.mul(b0)).intoArray(colAB, x);
    }

    /**
     * As {@link #windows}, with the region's sum and spread from its column sums instead of a prepared frame. The ratio
     * is written out here as in {@link #windows}, not called: a helper taking the vectors as arguments, shared by both,
     * was compiled on its own in the reward service (where it is reached from two kernels) and then not inlined, so
     * every vector became an object: the service's scoring took 2.3x the CPU (measured with per-thread CPU and JFR,
     * where {@code Objects.checkIndex} and {@code lanewiseTemplate} showed up as hot frames).
     */
    private static void regionWindows(int[] colB, int[] colBB, int[] colAB, short[] sa, int[] qa, int rowStart, int x, double[] acc) {
        IntVector s = IntVector.fromArray(INTS_D, colB, x);
        IntVector q = IntVector.fromArray(INTS_D, colBB, x);
        IntVector box = IntVector.fromArray(INTS_D, colAB, x);
        for (int k = 1; k < WINDOW; k++) {
            s = s.add(IntVector.fromArray(INTS_D, colB, x + k));
            q = q.add(IntVector.fromArray(INTS_D, colBB, x + k));
            box = box.add(IntVector.fromArray(INTS_D, colAB, x + k));
        }
        int i = rowStart + x;
        DoubleVector sx = (DoubleVector) ShortVector.fromArray(SHORTS_D, sa, i).convertShape(VectorOperators.S2D, DOUBLES, 0);
        DoubleVector sy = (DoubleVector) s.convertShape(VectorOperators.I2D, DOUBLES, 0);
        DoubleVector spreads = (DoubleVector) IntVector.fromArray(INTS_D, qa, i).add(q.mul(N).sub(s.mul(s)))
                .convertShape(VectorOperators.I2D, DOUBLES, 0);
        DoubleVector cross = sx.mul(sy);
        DoubleVector covariance = ((DoubleVector) box.convertShape(VectorOperators.I2D, DOUBLES, 0)).mul(N).sub(cross);
        DoubleVector numerator = cross.mul(2).add(Ssim.C1_SUMS).mul(covariance.mul(2).add(Ssim.C2_SUMS));
        DoubleVector denominator = sx.mul(sx).add(sy.mul(sy)).add(Ssim.C1_SUMS).mul(spreads.add(Ssim.C2_SUMS));
        DoubleVector.fromArray(DOUBLES, acc, 0).add(numerator.div(denominator)).intoArray(acc, 0);
    }

    /**
     * The window statistics of {@link Ssim.Frame}, the same integers as {@code Ssim.prepareScalar}: per output row the
     * column sums (values and squares over the window's 7 rows) take the newest image row in and the oldest out, one
     * vector of pixels at a time; each window is then the sum of 7 shifted vectors of column sums.
     */
    static void prepare(byte[] pixels, int w, int h, short[] sum, int[] spread) {
        int iw = w - WINDOW + 1;
        int[] colSum = new int[w];
        int[] colSquares = new int[w];
        int pixelEnd = w - w % INTS.length();
        int windowEnd = iw - iw % INTS.length();
        for (int y = 0; y < WINDOW - 1; y++) {
            addRow(pixels, y * w, colSum, colSquares, pixelEnd, w);
        }
        for (int oy = 0; oy < h - WINDOW + 1; oy++) {
            int newest = (oy + WINDOW - 1) * w;
            if (oy == 0) {
                addRow(pixels, newest, colSum, colSquares, pixelEnd, w);
            } else {
                shiftRow(pixels, newest, (oy - 1) * w, colSum, colSquares, pixelEnd, w);
            }
            statisticsRow(colSum, colSquares, sum, spread, oy * iw, windowEnd, iw);
        }
    }

    private static void addRow(byte[] pixels, int row, int[] colSum, int[] colSquares, int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            addRow(pixels, row, colSum, colSquares, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            int v = pixels[row + x] & 0xFF;
            colSum[x] += v;
            colSquares[x] += v * v;
        }
    }

    private static void shiftRow(byte[] pixels, int row, int oldRow, int[] colSum, int[] colSquares, int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            shiftRow(pixels, row, oldRow, colSum, colSquares, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            int v = pixels[row + x] & 0xFF;
            int old = pixels[oldRow + x] & 0xFF;
            colSum[x] += v - old;
            colSquares[x] += v * v - old * old;
        }
    }

    private static void statisticsRow(int[] colSum, int[] colSquares, short[] sum, int[] spread, int out, int windowEnd, int iw) {
        for (int x = 0; x < windowEnd; x += INTS.length()) {
            statistics(colSum, colSquares, sum, spread, out, x);
        }
        for (int x = windowEnd; x < iw; x++) {
            int s = 0;
            int q = 0;
            for (int k = 0; k < WINDOW; k++) {
                s += colSum[x + k];
                q += colSquares[x + k];
            }
            sum[out + x] = (short) s;
            spread[out + x] = N * q - s * s;
        }
    }

    /** {@code colSum[x..] += v}, {@code colSquares[x..] += v*v} of one vector of pixels. */
    private static void addRow(byte[] pixels, int row, int[] colSum, int[] colSquares, int x) {
        IntVector v = (IntVector) ByteVector.fromArray(BYTES, pixels, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, colSum, x).add(v).intoArray(colSum, x);
        IntVector.fromArray(INTS, colSquares, x).add(v.mul(v)).intoArray(colSquares, x);
    }

    /** As {@link #addRow(byte[], int, int[], int[], int)} for the newest row, minus the row that leaves the window. */
    private static void shiftRow(byte[] pixels, int row, int oldRow, int[] colSum, int[] colSquares, int x) {
        IntVector v = (IntVector) ByteVector.fromArray(BYTES, pixels, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector old = (IntVector) ByteVector.fromArray(BYTES, pixels, oldRow + x)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, colSum, x).add(v).sub(old).intoArray(colSum, x);
        IntVector.fromArray(INTS, colSquares, x).add(v.mul(v)).sub(old.mul(old)).intoArray(colSquares, x);
    }

    /** One vector of windows from column {@code x}: their sums (at most 12,495, so a short holds them) and spreads. */
    private static void statistics(int[] colSum, int[] colSquares, short[] sum, int[] spread, int out, int x) {
        IntVector s = IntVector.fromArray(INTS, colSum, x);
        IntVector q = IntVector.fromArray(INTS, colSquares, x);
        for (int k = 1; k < WINDOW; k++) {
            s = s.add(IntVector.fromArray(INTS, colSum, x + k));
            q = q.add(IntVector.fromArray(INTS, colSquares, x + k));
        }
        ((ShortVector) s.convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(sum, out + x);
        q.mul(N).sub(s.mul(s)).intoArray(spread, out + x);
    }

    /**
     * The windows of one output row: whole vectors into {@code acc}; returns the sum of the ratios of the last
     * {@code iw % lanes} windows. The loops are in per-row methods, which the JIT compiles after a few hundred rows,
     * not in {@link #crossSsim}, which runs once per pair and would wait for an on-stack replacement.
     */
    private static double windowRow(int[] col, Ssim.Frame a, Ssim.Frame b, int rowStart, int windowEnd, double[] acc) {
        for (int x = 0; x < windowEnd; x += DOUBLES.length()) {
            windows(col, a.sum, b.sum, a.spread, b.spread, rowStart, x, acc);
        }
        double tail = 0;
        for (int x = windowEnd; x < a.innerWidth; x++) {
            tail += Ssim.ratio(a.sum[rowStart + x], b.sum[rowStart + x], a.spread[rowStart + x], b.spread[rowStart + x],
                    col[x] + col[x + 1] + col[x + 2] + col[x + 3] + col[x + 4] + col[x + 5] + col[x + 6]);
        }
        return tail;
    }

    private static void addProducts(byte[] pa, byte[] pb, int row, int[] col, int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            addProducts(pa, pb, row, col, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            col[x] += (pa[row + x] & 0xFF) * (pb[row + x] & 0xFF);
        }
    }

    private static void shiftProducts(byte[] pa, byte[] pb, int row, int oldRow, int[] col, int vectorEnd, int w) {
        for (int x = 0; x < vectorEnd; x += INTS.length()) {
            shiftProducts(pa, pb, row, oldRow, col, x);
        }
        for (int x = vectorEnd; x < w; x++) {
            col[x] += (pa[row + x] & 0xFF) * (pb[row + x] & 0xFF) - (pa[oldRow + x] & 0xFF) * (pb[oldRow + x] & 0xFF);
        }
    }

    /** {@code col[x..] += a*b} of one vector of pixels. */
    private static void addProducts(byte[] pa, byte[] pb, int row, int[] col, int x) {
        IntVector a = (IntVector) ByteVector.fromArray(BYTES, pa, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector b = (IntVector) ByteVector.fromArray(BYTES, pb, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, col, x).add(a.mul(b)).intoArray(col, x);
    }

    /** {@code col[x..] += a*b} of the newest row {@code - a*b} of the row that leaves the window. */
    private static void shiftProducts(byte[] pa, byte[] pb, int row, int oldRow, int[] col, int x) {
        IntVector a = (IntVector) ByteVector.fromArray(BYTES, pa, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector b = (IntVector) ByteVector.fromArray(BYTES, pb, row + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector oldA = (IntVector) ByteVector.fromArray(BYTES, pa, oldRow + x)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector oldB = (IntVector) ByteVector.fromArray(BYTES, pb, oldRow + x)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        IntVector.fromArray(INTS, col, x).add(a.mul(b)).sub(oldA.mul(oldB)).intoArray(col, x);
    }

    /** One vector of windows starting at column {@code x}: {@code acc += ratio}, the ratio as in {@link Ssim#ratio}. */
    private static void windows(int[] col, short[] sa, short[] sb, int[] qa, int[] qb, int rowStart, int x, double[] acc) {
        IntVector box = IntVector.fromArray(INTS_D, col, x);
        for (int k = 1; k < WINDOW; k++) {
            box = box.add(IntVector.fromArray(INTS_D, col, x + k));
        }
        int i = rowStart + x;
        DoubleVector sx = (DoubleVector) ShortVector.fromArray(SHORTS_D, sa, i).convertShape(VectorOperators.S2D, DOUBLES, 0);
        DoubleVector sy = (DoubleVector) ShortVector.fromArray(SHORTS_D, sb, i).convertShape(VectorOperators.S2D, DOUBLES, 0);
        DoubleVector spreads = (DoubleVector) IntVector.fromArray(INTS_D, qa, i).add(IntVector.fromArray(INTS_D, qb, i))
                .convertShape(VectorOperators.I2D, DOUBLES, 0);
        DoubleVector cross = sx.mul(sy);
        DoubleVector covariance = ((DoubleVector) box.convertShape(VectorOperators.I2D, DOUBLES, 0)).mul(N).sub(cross);
        DoubleVector numerator = cross.mul(2).add(Ssim.C1_SUMS).mul(covariance.mul(2).add(Ssim.C2_SUMS));
        DoubleVector denominator = sx.mul(sx).add(sy.mul(sy)).add(Ssim.C1_SUMS).mul(spreads.add(Ssim.C2_SUMS));
        DoubleVector.fromArray(DOUBLES, acc, 0).add(numerator.div(denominator)).intoArray(acc, 0);
    }
}
