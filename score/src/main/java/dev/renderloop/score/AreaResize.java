package dev.renderloop.score;

/**
 * OpenCV's {@code INTER_AREA} resize of one 8-bit channel, reproduced operation for operation so that the
 * output equals {@code cv2.resize} (OpenCV 4.x, {@code modules/imgproc/src/resize.cpp}) exactly.
 *
 * <p>Three regimes, chosen as OpenCV chooses them from {@code scale = source size / target size}:
 * <ul>
 *   <li>both scales integers (within {@code DBL_EPSILON}): block means. 2x2 blocks round half up
 *       ({@code (sum + 2) >> 2}, OpenCV's vector path); other blocks multiply the integer sum by the
 *       single-precision reciprocal of the block area and round half to even; partial blocks at the
 *       border divide by the number of pixels they hold.</li>
 *   <li>both scales at least 1 otherwise: each target pixel is the area-weighted mean of the source pixels
 *       it covers, with weights and sums in single precision, accumulated row by row as OpenCV does.</li>
 *   <li>any scale below 1 (enlarging): linear interpolation with OpenCV's area-mode coefficients, 11-bit
 *       fixed-point weights, and the vertical step done as OpenCV's 8-bit vector code does it
 *       ({@code ((s0 >> 4) * b0 >> 16) + ((s1 >> 4) * b1 >> 16)}, rounded by {@code (v + 2) >> 2}).</li>
 * </ul>
 */
final class AreaResize {
    private static final int COEF_BITS = 11;
    private static final int COEF_SCALE = 1 << COEF_BITS;

    private AreaResize() {
    }

    static byte[] resize(byte[] src, int sw, int sh, int dw, int dh) {
        return resize(src, sw, sh, dw, dh, Ssim.VECTOR);
    }

    /** As {@link #resize(byte[], int, int, int, int)}, with the enlarging pass's vector steps ({@link VectorResize}) or not. */
    static byte[] resize(byte[] src, int sw, int sh, int dw, int dh, boolean vector) {
        double invScaleX = (double) dw / sw;
        double invScaleY = (double) dh / sh;
        double scaleX = 1.0 / invScaleX;
        double scaleY = 1.0 / invScaleY;
        if (scaleX >= 1 && scaleY >= 1) {
            int iscaleX = saturateInt(scaleX);
            int iscaleY = saturateInt(scaleY);
            if (Math.abs(scaleX - iscaleX) < Math.ulp(1.0) && Math.abs(scaleY - iscaleY) < Math.ulp(1.0)) {
                return blockMeans(src, sw, sh, dw, dh, iscaleX, iscaleY);
            }
            return areaWeighted(src, sw, sh, dw, dh, scaleX, scaleY);
        }
        return linearAreaMode(src, sw, sh, dw, dh, scaleX, scaleY, invScaleX, invScaleY, vector);
    }

    private static int saturateInt(double v) {
        return (int) Math.rint(v);
    }

    private static int saturateByte(float v) {
        int r = (int) Math.rint(v);
        return r < 0 ? 0 : Math.min(r, 255);
    }

    /** OpenCV {@code resizeAreaFast_Invoker}: integer shrink factors. */
    private static byte[] blockMeans(byte[] src, int sw, int sh, int dw, int dh, int sx, int sy) {
        byte[] dst = new byte[dw * dh];
        int area = sx * sy;
        float scale = 1.0f / area;
        int fullWidth = sw / sx;
        boolean twoByTwo = sx == 2 && sy == 2;
        for (int dy = 0; dy < dh; dy++) {
            int sy0 = dy * sy;
            if (sy0 >= sh) {
                continue;  // OpenCV writes zeros here; unreachable for the sizes it accepts
            }
            int w = sy0 + sy <= sh ? fullWidth : 0;
            int out = dy * dw;
            int dx = 0;
            for (; dx < w; dx++) {
                int sum = 0;
                for (int ky = 0; ky < sy; ky++) {
                    int row = (sy0 + ky) * sw + dx * sx;
                    for (int kx = 0; kx < sx; kx++) {
                        sum += src[row + kx] & 0xFF;
                    }
                }
                dst[out + dx] = (byte) (twoByTwo ? (sum + 2) >> 2 : saturateByte(sum * scale));
            }
            for (; dx < dw; dx++) {
                int sum = 0;
                int count = 0;
                int sx0 = dx * sx;
                for (int ky = 0; ky < sy && sy0 + ky < sh; ky++) {
                    for (int kx = 0; kx < sx && sx0 + kx < sw; kx++) {
                        sum += src[(sy0 + ky) * sw + sx0 + kx] & 0xFF;
                        count++;
                    }
                }
                dst[out + dx] = (byte) (count == 0 ? 0 : saturateByte((float) sum / count));
            }
        }
        return dst;
    }

    /** One entry of OpenCV's {@code DecimateAlpha} table: target index, source index, weight. */
    private record Weight(int target, int source, float alpha) {
    }

    /** OpenCV {@code computeResizeAreaTab}. */
    private static Weight[] areaTable(int ssize, int dsize, double scale) {
        java.util.ArrayList<Weight> tab = new java.util.ArrayList<>(ssize * 2);
        for (int dx = 0; dx < dsize; dx++) {
            double fsx1 = dx * scale;
            double fsx2 = fsx1 + scale;
            double cellWidth = Math.min(scale, ssize - fsx1);
            int sx1 = (int) Math.ceil(fsx1);
            int sx2 = (int) Math.floor(fsx2);
            sx2 = Math.min(sx2, ssize - 1);
            sx1 = Math.min(sx1, sx2);
            if (sx1 - fsx1 > 1e-3) {
                tab.add(new Weight(dx, sx1 - 1, (float) ((sx1 - fsx1) / cellWidth)));
            }
            for (int sx = sx1; sx < sx2; sx++) {
                tab.add(new Weight(dx, sx, (float) (1.0 / cellWidth)));
            }
            if (fsx2 - sx2 > 1e-3) {
                tab.add(new Weight(dx, sx2, (float) (Math.min(Math.min(fsx2 - sx2, 1.0), cellWidth) / cellWidth)));
            }
        }
        return tab.toArray(Weight[]::new);
    }

    /** OpenCV {@code ResizeArea_Invoker}: non-integer shrinking, float accumulation in OpenCV's order. */
    private static byte[] areaWeighted(byte[] src, int sw, int sh, int dw, int dh, double scaleX, double scaleY) {
        Weight[] xtab = areaTable(sw, dw, scaleX);
        Weight[] ytab = areaTable(sh, dh, scaleY);
        int n = xtab.length;
        int[] xt = new int[n];
        int[] xs = new int[n];
        float[] xa = new float[n];
        for (int k = 0; k < n; k++) {
            xt[k] = xtab[k].target();
            xs[k] = xtab[k].source();
            xa[k] = xtab[k].alpha();
        }
        byte[] dst = new byte[dw * dh];
        float[] buf = new float[dw];
        float[] sum = new float[dw];
        int prevDy = ytab[0].target();
        int bufRow = -1;  // the source row whose horizontal sums buf holds
        for (Weight y : ytab) {
            float beta = y.alpha();
            int dy = y.target();
            // A source row that straddles two target rows is the last entry of one and the first of the next:
            // its horizontal sums are the same floats both times, so they are computed once.
            if (y.source() != bufRow) {
                int row = y.source() * sw;
                java.util.Arrays.fill(buf, 0f);
                for (int k = 0; k < n; k++) {
                    buf[xt[k]] += (src[row + xs[k]] & 0xFF) * xa[k];
                }
                bufRow = y.source();
            }
            if (dy != prevDy) {
                int out = prevDy * dw;
                for (int dx = 0; dx < dw; dx++) {
                    dst[out + dx] = (byte) saturateByte(sum[dx]);
                    sum[dx] = beta * buf[dx];
                }
                prevDy = dy;
            } else {
                for (int dx = 0; dx < dw; dx++) {
                    sum[dx] += beta * buf[dx];
                }
            }
        }
        int out = prevDy * dw;
        for (int dx = 0; dx < dw; dx++) {
            dst[out + dx] = (byte) saturateByte(sum[dx]);
        }
        return dst;
    }

    /** OpenCV's generic resize in area mode (used when enlarging): 2-tap linear, fixed point. */
    private static byte[] linearAreaMode(byte[] src, int sw, int sh, int dw, int dh,
                                         double scaleX, double scaleY, double invScaleX, double invScaleY, boolean vector) {
        int[] xofs = new int[dw];
        int[] xa0 = new int[dw];
        int[] xa1 = new int[dw];
        int xmax = coefficients(sw, dw, scaleX, invScaleX, xofs, xa0, xa1, true);
        int[] yofs = new int[dh];
        int[] yb0 = new int[dh];
        int[] yb1 = new int[dh];
        coefficients(sh, dh, scaleY, invScaleY, yofs, yb0, yb1, false);
        byte[] dst = new byte[dw * dh];
        int[] s0 = new int[dw];
        int[] s1 = new int[dw];
        // The vector horizontal step gathers from the source row widened to ints, at xofs and xofs + 1.
        int[] wide = vector ? new int[sw + 1] : null;
        int[] xofs1 = vector ? new int[dw] : null;
        for (int d = 0; vector && d < dw; d++) {
            xofs1[d] = xofs[d] + 1;
        }
        int row0 = -1;  // source rows held in s0 and s1: when enlarging, consecutive target rows share them
        int row1 = -1;
        for (int dy = 0; dy < dh; dy++) {
            int want0 = clip(yofs[dy], sh);
            int want1 = clip(yofs[dy] + 1, sh);
            if (want0 == row1 && want0 != row0) {
                int[] t = s0;
                s0 = s1;
                s1 = t;
                row0 = row1;
                row1 = -1;
            }
            if (want0 != row0) {
                horizontal(src, sw, want0, xofs, xofs1, xa0, xa1, xmax, wide, s0);
                row0 = want0;
            }
            if (want1 != row1) {
                horizontal(src, sw, want1, xofs, xofs1, xa0, xa1, xmax, wide, s1);
                row1 = want1;
            }
            int b0 = yb0[dy];
            int b1 = yb1[dy];
            int out = dy * dw;
            // v_mul_hi on int16 lanes after a >> 4: OpenCV's 8-bit vertical pass. No clamp is needed: the weights
            // of each axis are non-negative and sum to 2048 or 2049 (two roundings), so s0, s1 <= 255 * 2049,
            // v <= 32655 * 2049 >> 16 = 1020 and 0 <= (v + 2) >> 2 <= 255.
            if (vector) {
                VectorResize.blendRows(s0, s1, b0, b1, dst, out);
            } else {
                for (int x = 0; x < dw; x++) {
                    int v = (((s0[x] >> 4) * b0) >> 16) + (((s1[x] >> 4) * b1) >> 16);
                    dst[out + x] = (byte) ((v + 2) >> 2);
                }
            }
        }
        return dst;
    }

    private static int clip(int v, int size) {
        return v < 0 ? 0 : Math.min(v, size - 1);
    }

    private static void horizontal(byte[] src, int sw, int sy, int[] xofs, int[] xofs1, int[] a0, int[] a1, int xmax,
                                   int[] wide, int[] out) {
        if (wide != null) {
            VectorResize.widen(src, sy * sw, wide);
            VectorResize.horizontal(wide, xofs, xofs1, a0, a1, xmax, out);
            return;
        }
        int row = sy * sw;
        int dw = out.length;
        int dx = 0;
        for (; dx < xmax; dx++) {
            int sx = xofs[dx];
            out[dx] = (src[row + sx] & 0xFF) * a0[dx] + (src[row + sx + 1] & 0xFF) * a1[dx];
        }
        for (; dx < dw; dx++) {
            out[dx] = (src[row + xofs[dx]] & 0xFF) * COEF_SCALE;
        }
    }

    /**
     * Area-mode source offsets and fixed-point weights along one axis; returns {@code xmax}, the first target
     * index whose right neighbour falls outside the source (only used for the horizontal axis).
     */
    private static int coefficients(int ssize, int dsize, double scale, double invScale,
                                    int[] ofs, int[] w0, int[] w1, boolean clampEdges) {
        int xmax = dsize;
        for (int d = 0; d < dsize; d++) {
            int s = (int) Math.floor(d * scale);
            float f = (float) ((d + 1) - (s + 1) * invScale);
            f = f <= 0 ? 0f : f - (float) Math.floor(f);
            if (clampEdges) {
                if (s < 0) {
                    f = 0;
                    s = 0;
                }
                if (s + 1 >= ssize) {
                    xmax = Math.min(xmax, d);
                    if (s >= ssize - 1) {
                        f = 0;
                        s = ssize - 1;
                    }
                }
            }
            ofs[d] = s;
            w0[d] = (int) Math.rint((1.0f - f) * COEF_SCALE);
            w1[d] = (int) Math.rint(f * COEF_SCALE);
        }
        return xmax;
    }
}
