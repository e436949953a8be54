package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity of the vector SSIM kernels ({@link VectorSsim}) with the scalar reference kernels: the cross term
 * ({@code Ssim.crossSsimScalar}, the implementation before the vector kernel) within 1e-9 (measured: ~1e-15), and
 * each frame's window statistics ({@code Ssim.prepareScalar}) exactly.
 * The build runs tests with {@code --add-modules jdk.incubator.vector}, so the vector kernel must be active here.
 */
class VectorSsimTest {
    private static final double TOLERANCE = 1e-9;

    @Test
    void vectorKernelIsActiveInTheTestJvm() {
        assertTrue(Ssim.kernel().startsWith("vector"), Ssim.kernel());
    }

    static Stream<Long> seeds() {
        return IntStream.range(0, 30).mapToObj(i -> 9100L + i);
    }

    /** Random sizes cover every remainder of the vector loops (pixels and windows) and images narrower than a vector. */
    @ParameterizedTest
    @MethodSource("seeds")
    void randomPairs_equalTheScalarKernel(long seed) {
        Random rnd = new Random(seed);
        int w = 7 + rnd.nextInt(seed % 3 == 0 ? 20 : 300);
        int h = 7 + rnd.nextInt(60);
        GrayImage a = random(rnd, w, h);
        GrayImage b = random(rnd, w, h);
        if (rnd.nextBoolean()) {  // also nearly equal pairs, where SSIM is near 1
            byte[] p = a.pixels().clone();
            for (int i = 0; i < p.length; i++) {
                p[i] = (byte) Math.clamp((p[i] & 0xFF) + rnd.nextInt(9) - 4, 0, 255);
            }
            b = new GrayImage(w, h, p);
        }
        assertParity(a, b);
    }

    /**
     * The enlarging pass of the area resize with {@link VectorResize} (gathers, fixed-point blend) equals the scalar pass
     * byte for byte (ParityTest checks the scalar-or-vector pass the JVM runs against OpenCV itself), on random sizes that
     * cover every vector remainder, one axis enlarged and the other shrunk, and a 640x480 chart enlarged to 1792x1344.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void enlargingResize_equalsTheScalarPass(long seed) {
        Random rnd = new Random(seed);
        int sw = 1 + rnd.nextInt(seed % 3 == 0 ? 20 : 200);
        int sh = 1 + rnd.nextInt(60);
        int dw = sw + 1 + rnd.nextInt(300);
        int dh = rnd.nextBoolean() ? sh + rnd.nextInt(80) : Math.max(1, sh / 2);
        byte[] src = new byte[sw * sh];
        rnd.nextBytes(src);
        assertArrayEquals(AreaResize.resize(src, sw, sh, dw, dh, false), AreaResize.resize(src, sw, sh, dw, dh, true),
                sw + "x" + sh + " -> " + dw + "x" + dh);
        if (seed % 10 == 0) {
            byte[] chart = new byte[640 * 480];
            rnd.nextBytes(chart);
            assertArrayEquals(AreaResize.resize(chart, 640, 480, 1792, 1344, false), AreaResize.resize(chart, 640, 480, 1792, 1344, true));
        }
    }

    /**
     * SSIM against a region of a larger image, its statistics computed on the fly ({@code VectorSsim.crossSsim(Frame,
     * byte[], int, int)}, the tiled reward's candidate tiles), equals preparing a copy of the region and using the vector
     * cross kernel: the same double, not merely close; and the scalar path of {@code Ssim.ssim(Frame, GrayImage, int,
     * int)} within the tolerance.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void regionOfALargerImage_equalsThePreparedCopy(long seed) {
        Random rnd = new Random(seed);
        int w = 7 + rnd.nextInt(seed % 3 == 0 ? 20 : 300);
        int h = 7 + rnd.nextInt(60);
        int x0 = rnd.nextInt(40);
        int y0 = rnd.nextInt(20);
        GrayImage big = random(rnd, x0 + w + rnd.nextInt(30), y0 + h + rnd.nextInt(10));
        GrayImage target = random(rnd, w, h);
        byte[] copy = new byte[w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(big.pixels(), (y0 + y) * big.width() + x0, copy, y * w, w);
        }
        if (rnd.nextBoolean()) {  // nearly equal, where SSIM is near 1
            target = new GrayImage(w, h, copy.clone());
        }
        Ssim.Frame a = Ssim.prepare(target);
        Ssim.Frame region = Ssim.prepare(new GrayImage(w, h, copy));
        double fused = Ssim.ssim(a, big, x0, y0);
        assertEquals(VectorSsim.crossSsim(a, region), fused, 0.0, w + "x" + h + " at " + x0 + "," + y0);
        assertEquals(Ssim.crossSsimScalar(a, region), fused, TOLERANCE);
    }

    @Test
    void extremeValues_equalTheScalarKernel() {
        int w = 854;
        int h = 20;
        byte[] black = new byte[w * h];
        byte[] white = new byte[w * h];
        byte[] stripes = new byte[w * h];
        java.util.Arrays.fill(white, (byte) 255);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = (byte) ((i / 3) % 2 == 0 ? 255 : 0);
        }
        assertParity(new GrayImage(w, h, black), new GrayImage(w, h, white));
        assertParity(new GrayImage(w, h, white), new GrayImage(w, h, stripes));
        assertParity(new GrayImage(w, h, stripes), new GrayImage(w, h, stripes.clone()));
    }

    /** Rendered pictures: the scikit-image fixture pairs (charts, shapes, text) and both VS fixture videos. */
    @Test
    void renderedFixturePairs_equalTheScalarKernel() throws IOException {
        Path dir = Fixtures.dir("ssim");
        int pairs = 0;
        for (String[] row : Fixtures.tsv(dir.resolve("pairs.tsv"))) {
            GrayImage a = GrayImage.of(Fixtures.read(dir.resolve(row[1])));
            GrayImage b = GrayImage.of(Fixtures.read(dir.resolve(row[2]))).resizeArea(a.width(), a.height());
            if (a.width() >= Ssim.WINDOW && a.height() >= Ssim.WINDOW) {
                assertParity(a, b);
                pairs++;
            }
        }
        assertTrue(pairs >= 50, "fixture pairs compared: " + pairs);
    }

    @Test
    void renderedVideoFrames_equalTheScalarKernel() {
        // Frames drawn as Manim scenes look to the metric (anti-aliased moving shapes and text), 854x480.
        java.util.List<Picture> ref = SyntheticFrames.video(new Random(11), 4, 854, 480);
        java.util.List<Picture> cand = SyntheticFrames.video(new Random(12), 4, 854, 480);
        for (Picture p : ref) {
            for (Picture q : cand) {
                assertParity(GrayImage.of(p), GrayImage.of(q));
            }
        }
    }

    private static void assertParity(GrayImage a, GrayImage b) {
        Ssim.Frame fa = Ssim.prepare(a);
        Ssim.Frame fb = Ssim.prepare(b);
        double reference = Ssim.crossSsimScalar(fa, fb);
        double vector = VectorSsim.crossSsim(fa, fb);
        assertEquals(reference, vector, TOLERANCE, a.width() + "x" + a.height());
        assertStatisticsEqualTheScalarKernel(a, fa);
        assertStatisticsEqualTheScalarKernel(b, fb);
    }

    /** The window statistics are integers: the vector kernel ({@code Ssim.prepare} here) must give the same ones. */
    private static void assertStatisticsEqualTheScalarKernel(GrayImage image, Ssim.Frame vector) {
        short[] sum = new short[vector.sum.length];
        int[] spread = new int[vector.spread.length];
        Ssim.prepareScalar(image.pixels(), image.width(), image.height(), sum, spread);
        assertArrayEquals(sum, vector.sum, image.width() + "x" + image.height());
        assertArrayEquals(spread, vector.spread, image.width() + "x" + image.height());
    }

    private static GrayImage random(Random rnd, int w, int h) {
        byte[] p = new byte[w * h];
        rnd.nextBytes(p);
        return new GrayImage(w, h, p);
    }
}
