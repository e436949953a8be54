package dev.renderloop.score;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The enlarging pass of {@link AreaResize} written with the JDK Vector API; loaded only where {@link VectorSsim} is
 * (same module, same condition). Integer arithmetic throughout, so the output bytes equal the scalar pass's exactly.
 * Shaped as {@link VectorSsim} is, for the same reason: no loop in a method that handles one vector, so the JIT
 * compiles the small methods within the first image.
 */
final class VectorResize {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(INTS.length() * Byte.SIZE));

    private VectorResize() {
    }

    /**
     * One target row of the enlarging pass: {@code dst[out + x] = (((s0[x] >> 4) * b0 >> 16) + ((s1[x] >> 4) * b1 >> 16)
     * + 2) >> 2} for {@code x < s0.length}, as {@code AreaResize.linearAreaMode}'s scalar loop.
     */
    static void blendRows(int[] s0, int[] s1, int b0, int b1, byte[] dst, int out) {
        int dw = s0.length;
        int end = dw - dw % INTS.length();
        for (int x = 0; x < end; x += INTS.length()) {
            blend(s0, s1, b0, b1, dst, out, x);
        }
        for (int x = end; x < dw; x++) {
            int v = (((s0[x] >> 4) * b0) >> 16) + (((s1[x] >> 4) * b1) >> 16);
            dst[out + x] = (byte) ((v + 2) >> 2);
        }
    }

    /**
     * The horizontal step of the enlarging pass for one source row, as {@code AreaResize.horizontal}: for
     * {@code dx < xmax}, {@code out[dx] = row[xofs[dx]] * a0[dx] + row[xofs[dx] + 1] * a1[dx]}, the two source pixels
     * gathered from {@code row} (the source row widened to ints, one entry past its end for the last pair), and
     * {@code out[dx] = row[xofs[dx]] * 2048} from {@code xmax} on.
     */
    static void horizontal(int[] row, int[] xofs, int[] xofs1, int[] a0, int[] a1, int xmax, int[] out) {
        int end = xmax - xmax % INTS.length();
        for (int dx = 0; dx < end; dx += INTS.length()) {
            pairs(row, xofs, xofs1, a0, a1, out, dx);
        }
        for (int dx = end; dx < xmax; dx++) {
            out[dx] = row[xofs[dx]] * a0[dx] + row[xofs[dx] + 1] * a1[dx];
        }
        for (int dx = xmax; dx < out.length; dx++) {
            out[dx] = row[xofs[dx]] << 11;
        }
    }

    private static void pairs(int[] row, int[] xofs, int[] xofs1, int[] a0, int[] a1, int[] out, int dx) {
        IntVector left = IntVector.fromArray(INTS, row, 0, xofs, dx);
        IntVector right = IntVector.fromArray(INTS, row, 0, xofs1, dx);
        left.mul(IntVector.fromArray(INTS, a0, dx)).add(right.mul(IntVector.fromArray(INTS, a1, dx))).intoArray(out, dx);
    }

    /** {@code out[x] = src[from + x] & 0xFF} for {@code x < out.length - 1}: a source row widened to ints. */
    static void widen(byte[] src, int from, int[] out) {
        int n = out.length - 1;
        int end = n - n % INTS.length();
        for (int x = 0; x < end; x += INTS.length()) {
            ((IntVector) ByteVector.fromArray(BYTES, src, from + x).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0))
                    .intoArray(out, x);
        }
        for (int x = end; x < n; x++) {
            out[x] = src[from + x] & 0xFF;
        }
    }

    private static void blend(int[] s0, int[] s1, int b0, int b1, byte[] dst, int out, int x) {
        IntVector v0 = IntVector.fromArray(INTS, s0, x).lanewise(VectorOperators.ASHR, 4).mul(b0).lanewise(VectorOperators.ASHR, 16);
        IntVector v1 = IntVector.fromArray(INTS, s1, x).lanewise(VectorOperators.ASHR, 4).mul(b1).lanewise(VectorOperators.ASHR, 16);
        IntVector v = v0.add(v1).add(2).lanewise(VectorOperators.ASHR, 2);
        ((ByteVector) v.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(dst, out + x);
    }
}
