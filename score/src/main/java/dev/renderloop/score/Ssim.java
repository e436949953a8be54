package dev.renderloop.score;

/**
 * Structural similarity of two grayscale images, equal to scikit-image's
 * {@code structural_similarity(a, b, data_range=255)} with its defaults: a 7x7 uniform window,
 * {@code K1 = 0.01}, {@code K2 = 0.03}, sample covariance (normalised by {@code N / (N - 1)}, N = 49) and the
 * mean of the SSIM map over the interior where the window lies inside the image (scikit-image's
 * {@code crop(S, 3)}, which removes every value its border padding affected).
 *
 * <h2>Why it is fast</h2>
 * Of the five window statistics SSIM needs (means, variances, covariance) four depend on one image only.
 * {@link #prepare} computes them once per frame, so comparing every reference frame with every candidate
 * frame (the VS matrix) only computes the cross term per pair. Gray values are integers 0..255, so every
 * 7x7 window sum, and {@code 49 * sum(xy) - sum(x) sum(y)}, is exact in {@code int} arithmetic (at most
 * 156,125,025); only the final ratio is taken in {@code double}. The result matches scikit-image to about
 * 1e-12; scikit-image's own floating-point box filter is the less exact of the two.
 *
 * <p>All methods are thread-safe; a {@link Frame} is immutable and can be shared between threads.
 */
public final class Ssim {
    /** Side of the uniform window (scikit-image default {@code win_size=7}). */
    public static final int WINDOW = 7;
    private static final int N = WINDOW * WINDOW;
    private static final int CHUNK = 128;  // windows per pass: six scratch arrays of this length stay in L1
    private static final double DATA_RANGE = 255;
    // skimage: C1 = (K1 * R)^2, C2 = (K2 * R)^2, rescaled to the integer sums used below.
    private static final double C1 = Math.pow(0.01 * DATA_RANGE, 2);
    private static final double C2 = Math.pow(0.03 * DATA_RANGE, 2);
    /** A1 = (2 Sx Sy + C1 N^2) / N^2 and B1 likewise; the common factor N^2 cancels in the ratio. */
    static final double C1_SUMS = C1 * N * N;
    /** Covariance with sample normalisation: (N Sxy - Sx Sy) / (N (N - 1)); the factor N (N - 1) cancels. */
    static final double C2_SUMS = C2 * N * (N - 1);
    /** Whether {@link VectorSsim} (and {@link VectorResize}) run; decided once, before any vector class is loaded. */
    static final boolean VECTOR = vectorKernelUsable();

    private Ssim() {
    }

    /**
     * SSIM of two pictures in grayscale (OpenCV's conversion, see {@link GrayImage#of}); {@code candidate} is
     * resized to the size of {@code reference} with area interpolation when the sizes differ.
     *
     * @throws IllegalArgumentException when the reference is smaller than 7x7 (scikit-image refuses it too)
     */
    public static double ssim(Picture reference, Picture candidate) {
        return ssim(GrayImage.of(reference), GrayImage.of(candidate));
    }

    /** As {@link #ssim(Picture, Picture)} for grayscale images. */
    public static double ssim(GrayImage reference, GrayImage candidate) {
        Frame a = prepare(reference);
        return ssim(a, prepare(candidate.resizeArea(reference.width(), reference.height())));
    }

    /**
     * The per-image window statistics, computed once and reused for every comparison with this image.
     *
     * @throws IllegalArgumentException when the image is smaller than 7x7
     */
    public static Frame prepare(GrayImage image) {
        return new Frame(image);
    }

    /**
     * SSIM of two prepared frames of the same size.
     *
     * @throws IllegalArgumentException when the sizes differ
     */
    public static double ssim(Frame a, Frame b) {
        if (a.width != b.width || a.height != b.height) {
            throw new IllegalArgumentException("SSIM needs images of one size, got " + a.width + "x" + a.height
                    + " and " + b.width + "x" + b.height + " (resize the candidate first)");
        }
        return a == b ? 1.0 : VECTOR ? VectorSsim.crossSsim(a, b) : crossSsimScalar(a, b);
    }

    /**
     * SSIM of a prepared frame with the region of {@code image} of the frame's size whose top-left pixel is
     * {@code (x0, y0)}: the same value as {@code ssim(a, prepare(region))}. The vector kernel computes the region's
     * statistics on the fly ({@link VectorSsim#crossSsim(Frame, byte[], int, int)}), the scalar one prepares a copy.
     *
     * @throws IllegalArgumentException when the region does not lie inside the image
     */
    static double ssim(Frame a, GrayImage image, int x0, int y0) {
        if (x0 < 0 || y0 < 0 || x0 + a.width > image.width() || y0 + a.height > image.height()) {
            throw new IllegalArgumentException("a " + a.width + "x" + a.height + " region at (" + x0 + ", " + y0
                    + ") is not inside a " + image.width() + "x" + image.height() + " image");
        }
        if (VECTOR) {
            return VectorSsim.crossSsim(a, image.pixels(), y0 * image.width() + x0, image.width());
        }
        byte[] region = new byte[a.width * a.height];
        for (int y = 0; y < a.height; y++) {
            System.arraycopy(image.pixels(), (y0 + y) * image.width() + x0, region, y * a.width, a.width);
        }
        return crossSsimScalar(a, prepare(new GrayImage(a.width, a.height, region)));
    }

    /**
     * Which SSIM kernel this JVM runs, for reports: {@code "vector (N-bit)"} when the JVM was started with
     * {@code --add-modules jdk.incubator.vector} (the launcher does) on a machine with vectors of 256 bits or more,
     * else {@code "scalar"} with the reason. Both give the same values to about 1e-15; the vector kernel is about 4x
     * faster.
     */
    public static String kernel() {
        if (VECTOR) {
            return "vector (" + VectorSsim.bits() + "-bit, jdk.incubator.vector)";
        }
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                ? "scalar (vectors narrower than 256 bits)"
                : "scalar (start the JVM with --add-modules jdk.incubator.vector for the vector kernel)";
    }

    private static boolean vectorKernelUsable() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;  // VectorSsim cannot even be loaded: its imports are in that module
        }
        return VectorSsim.usable();
    }

    /** The SSIM ratio of one window from its exact integer sums; {@code cross} is the 7x7 sum of x*y. */
    static double ratio(double sx, double sy, double spreadX, double spreadY, double cross) {
        double product = sx * sy;
        double covariance = N * cross - product;
        return (2 * product + C1_SUMS) * (2 * covariance + C2_SUMS)
                / ((sx * sx + sy * sy + C1_SUMS) * (spreadX + spreadY + C2_SUMS));
    }

    /**
     * Per-image statistics of every interior 7x7 window: the sum of values and
     * {@code N * sum(x^2) - sum(x)^2}, both exact integers. Immutable. Holds about 7 bytes per pixel
     * (2.8 MB for an 854x480 frame), shared by every comparison with the frame.
     */
    public static final class Frame {
        final int width;
        final int height;
        final byte[] pixels;
        final int innerWidth;   // windows per row: width - 6
        final int innerHeight;  // windows per column: height - 6
        final short[] sum;      // (innerHeight, innerWidth)  sum of the 49 values, at most 12495
        final int[] spread;     // (innerHeight, innerWidth)  49 * sum(x^2) - sum(x)^2

        private Frame(GrayImage image) {
            if (image.width() < WINDOW || image.height() < WINDOW) {
                throw new IllegalArgumentException("SSIM needs images of at least " + WINDOW + "x" + WINDOW
                        + " pixels (its window), got " + image.width() + "x" + image.height());
            }
            width = image.width();
            height = image.height();
            pixels = image.pixels();
            innerWidth = width - WINDOW + 1;
            innerHeight = height - WINDOW + 1;
            sum = new short[innerWidth * innerHeight];
            spread = new int[innerWidth * innerHeight];
            if (VECTOR) {
                VectorSsim.prepare(pixels, width, height, sum, spread);
            } else {
                prepareScalar(pixels, width, height, sum, spread);
            }
        }

        /** Width of the image. */
        public int width() {
            return width;
        }

        /** Height of the image. */
        public int height() {
            return height;
        }
    }

    /**
     * The window statistics of a {@link Frame}, the reference kernel: for every interior 7x7 window, the sum of its
     * values into {@code sum} and {@code 49 * sum(x^2) - sum(x)^2} into {@code spread} (row-major,
     * {@code (height - 6) x (width - 6)}). Column sums over the window's rows are kept current as it moves down; a
     * running sum along the row gives each window. {@link VectorSsim#prepare} computes the same integers.
     */
    static void prepareScalar(byte[] pixels, int width, int height, short[] sum, int[] spread) {
        int innerWidth = width - WINDOW + 1;
        int innerHeight = height - WINDOW + 1;
        int[] colSum = new int[width];
        int[] colSquares = new int[width];
        for (int y = 0; y < WINDOW - 1; y++) {
            addRow(pixels, y * width, 1, colSum, colSquares);
        }
        for (int oy = 0; oy < innerHeight; oy++) {
            addRow(pixels, (oy + WINDOW - 1) * width, 1, colSum, colSquares);
            int s = 0;
            int q = 0;
            for (int x = 0; x < WINDOW - 1; x++) {
                s += colSum[x];
                q += colSquares[x];
            }
            int out = oy * innerWidth;
            for (int ox = 0; ox < innerWidth; ox++) {
                s += colSum[ox + WINDOW - 1];
                q += colSquares[ox + WINDOW - 1];
                sum[out + ox] = (short) s;
                spread[out + ox] = N * q - s * s;
                s -= colSum[ox];
                q -= colSquares[ox];
            }
            addRow(pixels, oy * width, -1, colSum, colSquares);
        }
    }

    private static void addRow(byte[] pixels, int row, int sign, int[] colSum, int[] colSquares) {
        for (int x = 0; x < colSum.length; x++) {
            int v = pixels[row + x] & 0xFF;
            colSum[x] += sign * v;
            colSquares[x] += sign * v * v;
        }
    }

    /**
     * Mean SSIM over the interior; only the 7x7 sums of x*y are computed here. Per output row: the products of
     * the newest image row replace the oldest of a seven-row ring (one multiplication per pixel, column sums kept
     * current), a running sum gives the window sums, then the ratio is evaluated in chunks of {@link #CHUNK}
     * windows by short passes (int to double, then pure double arithmetic). Measured with C2 on this project's
     * machines: one loop that mixes int and double arithmetic stays scalar and runs about 3x slower, and seven
     * loads per window sum are slower than the running sum.
     */
    static double crossSsimScalar(Frame a, Frame b) {
        int w = a.width;
        int iw = a.innerWidth;
        byte[] pa = a.pixels;
        byte[] pb = b.pixels;
        short[] sa = a.sum;
        short[] sb = b.sum;
        int[] qa = a.spread;
        int[] qb = b.spread;
        int[][] ring = new int[WINDOW][w];  // products x*y of the last 7 rows
        int[] colProducts = new int[w];     // sum of ring rows per column
        double[] dsa = new double[CHUNK];
        double[] dsb = new double[CHUNK];
        double[] dq = new double[CHUNK];
        double[] dbox = new double[CHUNK];
        int[] box = new int[iw];
        double[] ratio = new double[CHUNK];
        for (int y = 0; y < WINDOW - 1; y++) {
            shiftProducts(pa, pb, y * w, ring[y], colProducts);
        }
        double total = 0;
        for (int oy = 0; oy < a.innerHeight; oy++) {
            shiftProducts(pa, pb, (oy + WINDOW - 1) * w, ring[(oy + WINDOW - 1) % WINDOW], colProducts);
            slidingBox(colProducts, box);
            int rowStart = oy * iw;
            double r0 = 0;
            double r1 = 0;
            double r2 = 0;
            double r3 = 0;
            // Chunks of CHUNK windows keep every scratch array in L1 between the passes.
            for (int c0 = 0; c0 < iw; c0 += CHUNK) {
                int len = Math.min(CHUNK, iw - c0);
                int out = rowStart + c0;
                for (int k = 0; k < len; k++) {
                    dbox[k] = box[c0 + k];
                }
                for (int k = 0; k < len; k++) {
                    dsa[k] = sa[out + k];
                }
                for (int k = 0; k < len; k++) {
                    dsb[k] = sb[out + k];
                }
                for (int k = 0; k < len; k++) {
                    dq[k] = (double) qa[out + k] + (double) qb[out + k];
                }
                for (int k = 0; k < len; k++) {
                    double sx = dsa[k];
                    double sy = dsb[k];
                    double cross = sx * sy;
                    double covariance = N * dbox[k] - cross;
                    ratio[k] = (2 * cross + C1_SUMS) * (2 * covariance + C2_SUMS)
                            / ((sx * sx + sy * sy + C1_SUMS) * (dq[k] + C2_SUMS));
                }
                int k = 0;
                for (; k + 3 < len; k += 4) {
                    r0 += ratio[k];
                    r1 += ratio[k + 1];
                    r2 += ratio[k + 2];
                    r3 += ratio[k + 3];
                }
                for (; k < len; k++) {
                    r0 += ratio[k];
                }
            }
            total += (r0 + r1) + (r2 + r3);
        }
        return total / ((double) iw * a.innerHeight);
    }

    /** 7-wide window sums of the column sums; a running sum (scalar) beats seven loads per window. */
    private static void slidingBox(int[] col, int[] box) {
        int s = col[0] + col[1] + col[2] + col[3] + col[4] + col[5];
        for (int x = 0; x < box.length; x++) {
            s += col[x + WINDOW - 1];
            box[x] = s;
            s -= col[x];
        }
    }

    /** Replaces the oldest ring row by the products of this image row, keeping the column sums current. */
    private static void shiftProducts(byte[] pa, byte[] pb, int row, int[] slot, int[] colProducts) {
        for (int x = 0; x < slot.length; x++) {
            int p = (pa[row + x] & 0xFF) * (pb[row + x] & 0xFF);
            colProducts[x] += p - slot[x];
            slot[x] = p;
        }
    }
}
