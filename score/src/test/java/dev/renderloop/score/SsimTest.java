package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SsimTest {

    static Stream<Long> seeds() {
        return IntStream.range(0, 25).mapToObj(i -> 7000L + i);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void ssim_equalsTextbookFormulaPerWindow(long seed) {
        Random rnd = new Random(seed);
        int w = 7 + rnd.nextInt(30);
        int h = 7 + rnd.nextInt(30);
        GrayImage a = random(rnd, w, h);
        GrayImage b = rnd.nextBoolean() ? random(rnd, w, h) : perturbed(rnd, a);
        assertEquals(naive(a, b), Ssim.ssim(a, b), 1e-12);
    }

    @Test
    void ssim_identicalImagesScoreOne() {
        GrayImage a = random(new Random(1), 40, 30);
        assertEquals(1.0, Ssim.ssim(a, new GrayImage(40, 30, a.pixels().clone())), 0);
    }

    @Test
    void ssim_isSymmetricForEqualSizes() {
        Random rnd = new Random(2);
        GrayImage a = random(rnd, 50, 20);
        GrayImage b = random(rnd, 50, 20);
        assertEquals(Ssim.ssim(a, b), Ssim.ssim(b, a), 1e-15);
    }

    @Test
    void ssim_resizesTheCandidateToTheReference() {
        Random rnd = new Random(3);
        GrayImage a = random(rnd, 20, 16);
        GrayImage big = a.resizeArea(60, 48);
        assertEquals(Ssim.ssim(a, big.resizeArea(20, 16)), Ssim.ssim(a, big), 0);
    }

    @Test
    void ssim_imagesBelowTheWindowAreRejected() {
        GrayImage tiny = new GrayImage(6, 10, new byte[60]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ssim.ssim(tiny, tiny));
        assertTrue(e.getMessage().contains("7x7"), e.getMessage());
    }

    private static GrayImage random(Random rnd, int w, int h) {
        byte[] p = new byte[w * h];
        rnd.nextBytes(p);
        return new GrayImage(w, h, p);
    }

    private static GrayImage perturbed(Random rnd, GrayImage a) {
        byte[] p = a.pixels().clone();
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) Math.clamp((p[i] & 0xFF) + rnd.nextInt(41) - 20, 0, 255);
        }
        return new GrayImage(a.width(), a.height(), p);
    }

    /** scikit-image's formula evaluated window by window in doubles, no shared statistics. */
    private static double naive(GrayImage a, GrayImage b) {
        double c1 = Math.pow(0.01 * 255, 2);
        double c2 = Math.pow(0.03 * 255, 2);
        double total = 0;
        int count = 0;
        for (int y = 3; y < a.height() - 3; y++) {
            for (int x = 3; x < a.width() - 3; x++) {
                double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                for (int dy = -3; dy <= 3; dy++) {
                    for (int dx = -3; dx <= 3; dx++) {
                        double u = a.value(x + dx, y + dy);
                        double v = b.value(x + dx, y + dy);
                        mx += u;
                        my += v;
                        xx += u * u;
                        yy += v * v;
                        xy += u * v;
                    }
                }
                mx /= 49;
                my /= 49;
                double norm = 49.0 / 48;
                double vx = norm * (xx / 49 - mx * mx);
                double vy = norm * (yy / 49 - my * my);
                double vxy = norm * (xy / 49 - mx * my);
                total += (2 * mx * my + c1) * (2 * vxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                count++;
            }
        }
        return total / count;
    }
}
