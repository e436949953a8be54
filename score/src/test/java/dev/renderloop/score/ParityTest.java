package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Parity with the published Python stack (OpenCV 4.6, scikit-image 0.19), against fixtures written by
 * {@code score/python/generate_fixtures.py}.
 */
class ParityTest {

    @Test
    void ssim_matchesScikitImageOnEveryFixturePair() throws IOException {
        Path dir = Fixtures.dir("ssim");
        List<String[]> rows = Fixtures.tsv(dir.resolve("pairs.tsv"));
        assertTrue(rows.size() >= 20, "expected at least 20 pairs, got " + rows.size());
        double worst = 0;
        String worstName = "";
        for (String[] r : rows) {
            double expected = Double.parseDouble(r[3]);
            double actual = Ssim.ssim(Fixtures.read(dir.resolve(r[1])), Fixtures.read(dir.resolve(r[2])));
            double diff = Math.abs(actual - expected);
            if (diff > worst) {
                worst = diff;
                worstName = r[0];
            }
        }
        System.out.printf("SSIM parity: %d pairs, max |diff| %.3g (%s)%n", rows.size(), worst, worstName);
        assertTrue(worst < 1e-4, "max |diff| " + worst + " at " + worstName);
    }

    @Test
    void grayAndAreaResize_equalOpenCvBitForBit() throws IOException {
        Path dir = Fixtures.dir("resize");
        List<String[]> rows = Fixtures.tsv(dir.resolve("resize.tsv"));
        assertTrue(rows.size() >= 50);
        for (String[] r : rows) {
            GrayImage source = GrayImage.of(Fixtures.read(dir.resolve(r[0])));
            Picture expected = Fixtures.read(dir.resolve(r[3]));
            GrayImage actual = source.resizeArea(Integer.parseInt(r[1]), Integer.parseInt(r[2]));
            assertEquals(expected.width(), actual.width());
            assertEquals(expected.height(), actual.height());
            byte[] want = new byte[expected.rgb().length];
            for (int i = 0; i < want.length; i++) {
                want[i] = (byte) expected.rgb()[i];
            }
            assertArrayEquals(want, actual.pixels(), () -> r[0] + " -> " + r[3]);
        }
    }

    @Test
    void videoSimilarity_matchesPythonReimplementationOfThePublishedSsimPart() throws IOException {
        Path dir = Fixtures.dir("vs");
        List<String[]> rows = Fixtures.tsv(dir.resolve("expected.tsv"));
        try (VideoSimilarity vs = VideoSimilarity.builder().threads(2).build()) {
            for (String[] r : rows) {
                VideoScore s = vs.compare(Fixtures.frames(dir.resolve(r[0]).resolve("ref")),
                        Fixtures.frames(dir.resolve(r[0]).resolve("cand")));
                assertEquals(Double.parseDouble(r[1]), s.metric("vs_paper_ssim").value(), 1e-4, r[0] + " paper");
                assertEquals(Double.parseDouble(r[2]), s.metric("vs_corrected_ssim").value(), 1e-4, r[0] + " corrected");
                assertEquals(Double.parseDouble(r[3]), s.metric("mean_frame_ssim").value(), 1e-4, r[0] + " mean frame");
                if (!r[4].equals("-")) {
                    // fastdtw's distance is never below the exact one, so its score never above ours.
                    assertTrue(Double.parseDouble(r[4]) <= s.metric("vs_paper_ssim").value() + 1e-9, r[0] + " fastdtw");
                }
            }
        }
    }

    @Test
    void tiledFallback_matchesPythonReimplementation() throws IOException {
        Path dir = Fixtures.dir("tiled");
        TiledReward reward = TiledReward.weightFree();
        for (String[] r : Fixtures.tsv(dir.resolve("expected.tsv"))) {
            TiledScore s = reward.score(Fixtures.read(dir.resolve(r[0])), Fixtures.read(dir.resolve(r[1])));
            assertEquals(Integer.parseInt(r[2]), s.columns(), r[0]);
            assertEquals(Integer.parseInt(r[3]), s.rows(), r[0]);
            assertEquals(Double.parseDouble(r[4]), s.value(), 1e-4, r[0]);
        }
    }

    @Test
    void grid_equalsInternVlChoiceOnEveryFixtureSize() throws IOException {
        List<String[]> rows = Fixtures.tsv(Fixtures.dir("tiled").resolve("grids.tsv"));
        assertTrue(rows.size() > 400);
        for (String[] r : rows) {
            TiledReward.Grid g = TiledReward.grid(Integer.parseInt(r[0]), Integer.parseInt(r[1]));
            assertEquals(new TiledReward.Grid(Integer.parseInt(r[2]), Integer.parseInt(r[3])), g, r[0] + "x" + r[1]);
        }
    }
}
