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

    private static void blend(int[] s0, int[] s1, int b0, int b1, byte[] dst, int out, int x) {
        IntVector v0 = IntVector.fromArray(INTS, s0, x).lanewise(VectorOperators.ASHR, 4).mul(b0).lanewise(VectorOperators.ASHR, 16);
        IntVector v1 = IntVector.fromArray(INTS, s1, x).lanewise(VectorOperators.ASHR, 4).mul(b1).lanewise(VectorOperators.ASHR, 16);
        IntVector v = v0.add(v1).add(2).lanewise(VectorOperators.ASHR, 2);
        ((ByteVector) v.convertShape(VectorOperators.I2B, BYTES, 0)).intoArray(dst, out + x);
    }
}
