package dev.renderloop.embed;

/**
 * Pillow's {@code Image.resize(size, Image.BICUBIC)} for 8-bit RGB, reproduced bit for bit.
 *
 * <h2>Why a port</h2>
 * The reference embeddings come from transformers' PIL image processors, which resize with Pillow and round the
 * result back to 8 bits. Java2D's bicubic is a different filter (no antialiasing when downscaling, other
 * rounding), and a one-level difference in many pixels moves CLIP embeddings by more than the 1e-3 we promise.
 *
 * <h2>What Pillow does (libImaging/Resample.c)</h2>
 * A separable two-pass convolution, horizontal first, with the cubic kernel of a = -0.5 and support 2. When
 * downscaling, the kernel is stretched by the scale factor (antialiasing), so support grows to 2 * scale.
 * For each output index the weights are computed in double, normalised to sum to 1, then converted to fixed
 * point with 22 fractional bits ({@code PRECISION_BITS = 32 - 8 - 2}), rounding half away from zero.
 * Each pass accumulates in 32-bit integers starting from half a unit, and clips to 0..255 after a shift, so the
 * intermediate image between the passes is 8-bit too. A pass is skipped when its dimension does not change.
 *
 * <p>Stateless; safe for concurrent use.
 */
final class PilBicubic {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PilBicubic() {
    }

    /**
     * Resizes packed {@code 0xRRGGBB} pixels.
     *
     * @return {@code outWidth * outHeight} packed pixels (a copy when the size is unchanged, as Pillow returns)
     */
    static int[] resize(int[] rgb, int width, int height, int outWidth, int outHeight) {
        if (outWidth < 1 || outHeight < 1) {
            throw new IllegalArgumentException("output size must be at least 1x1, got " + outWidth + "x" + outHeight);
        }
        boolean horizontal = outWidth != width;
        boolean vertical = outHeight != height;
        if (!horizontal && !vertical) {
            return rgb.clone();
        }
        Coefficients cols = Coefficients.of(width, outWidth);
        Coefficients rows = Coefficients.of(height, outHeight);
        if (!horizontal) {
            return verticalPass(rgb, width, rows, 0, outHeight);
        }
        // Only the source rows the vertical pass reads need the horizontal pass (Pillow's ybox_first/last).
        int firstRow = vertical ? rows.bounds[0] : 0;
        int lastRow = vertical ? rows.bounds[2 * (outHeight - 1)] + rows.bounds[2 * (outHeight - 1) + 1] : height;
        int[] temp = horizontalPass(rgb, width, cols, firstRow, lastRow);
        return vertical ? verticalPass(temp, outWidth, rows, firstRow, outHeight) : temp;
    }

    /** Rows [firstRow, lastRow) of the source, each resized to {@code cols.outSize} pixels. */
    private static int[] horizontalPass(int[] in, int width, Coefficients cols, int firstRow, int lastRow) {
        int outWidth = cols.outSize;
        int[] out = new int[outWidth * (lastRow - firstRow)];
        for (int y = firstRow; y < lastRow; y++) {
            int rowStart = y * width;
            int outRow = (y - firstRow) * outWidth;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = cols.bounds[2 * xx];
                int count = cols.bounds[2 * xx + 1];
                int k0 = xx * cols.ksize;
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int x = 0; x < count; x++) {
                    int p = in[rowStart + xmin + x];
                    int k = cols.kk[k0 + x];
                    r += ((p >> 16) & 0xFF) * k;
                    g += ((p >> 8) & 0xFF) * k;
                    b += (p & 0xFF) * k;
                }
                out[outRow + xx] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    /** Resizes columns; {@code in} holds source rows starting at {@code rowOffset}. */
    private static int[] verticalPass(int[] in, int width, Coefficients rows, int rowOffset, int outHeight) {
        int[] out = new int[width * outHeight];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = rows.bounds[2 * yy] - rowOffset;
            int count = rows.bounds[2 * yy + 1];
            int k0 = yy * rows.ksize;
            for (int x = 0; x < width; x++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int y = 0; y < count; y++) {
                    int p = in[(ymin + y) * width + x];
                    int k = rows.kk[k0 + y];
                    r += ((p >> 16) & 0xFF) * k;
                    g += ((p >> 8) & 0xFF) * k;
                    b += (p & 0xFF) * k;
                }
                out[yy * width + x] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    private static int clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) {
            return 255;
        }
        if (in <= 0) {
            return 0;
        }
        return in >> PRECISION_BITS;
    }

    /** Pillow's bicubic_filter, a = -0.5. */
    static double cubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /**
     * Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis.
     *
     * @param bounds per output index: first source index, number of source indices
     * @param kk     fixed-point weights, {@code ksize} per output index
     */
    private record Coefficients(int outSize, int ksize, int[] bounds, int[] kk) {

        static Coefficients of(int inSize, int outSize) {
            // Pillow passes the box edges as C floats; for whole-image boxes they are exact.
            double scale = (double) ((float) inSize - 0.0f) / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[2 * outSize];
            int[] kk = new int[outSize * ksize];
            double[] weights = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = cubic((x + xmin - center + 0.5) * ss);
                    weights[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double w = ww != 0.0 ? weights[x] / ww : weights[x];
                    double scaled = w * (1 << PRECISION_BITS);
                    kk[xx * ksize + x] = (int) (w < 0 ? scaled - 0.5 : scaled + 0.5);
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients(outSize, ksize, bounds, kk);
        }
    }
}
