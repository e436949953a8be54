package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class VideoSimilarityTest {
    private static final VideoSimilarity VS = VideoSimilarity.builder().threads(2).build();

    @AfterAll
    static void close() {
        VS.close();
    }

    @Test
    void paperSsim_anyTwoDifferentStillsScoreExactlyOne_correctedDoesNot() {
        Picture circle = draw(120, 80, g -> g.fillOval(20, 10, 60, 60));
        Picture text = draw(120, 80, g -> g.drawString("completely different", 5, 40));
        VideoScore s = VS.compare(List.of(circle), List.of(text));
        assertEquals(1.0, s.metric("vs_paper_ssim").value(), 0);
        assertTrue(s.metric("vs_corrected_ssim").value() < 0.3, s.toString());
    }

    @Test
    void paperSsim_differentVideosWithUniformlyMediocreMatchesScoreHigh_correctedLow() {
        // Two unrelated noise videos: every frame pair matches about equally badly, so the row and column
        // maxima profiles are flat and alike and DTW finds almost no difference between them.
        Random rnd = new Random(42);
        List<Picture> a = new ArrayList<>();
        List<Picture> b = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            a.add(noise(rnd, 64, 48));
            b.add(noise(rnd, 64, 48));
        }
        VideoScore s = VS.compare(a, b);
        assertTrue(s.metric("vs_paper_ssim").value() >= 0.95, s.toString());
        assertTrue(s.metric("vs_corrected_ssim").value() < 0.05, s.toString());
        assertTrue(s.metric("mean_frame_ssim").value() < 0.2, s.toString());
    }

    @Test
    void identicalVideosScoreOneInBothModes() {
        List<Picture> frames = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int x = 10 * t;
            frames.add(draw(96, 64, g -> g.fillRect(x, 20, 20, 20)));
        }
        VideoScore s = VS.compare(frames, List.copyOf(frames));
        assertEquals(1.0, s.metric("vs_paper_ssim").value(), 1e-12);
        assertEquals(1.0, s.metric("vs_corrected_ssim").value(), 1e-12);
        assertEquals(1.0, s.metric("mean_frame_ssim").value(), 1e-12);
    }

    @Test
    void ssimMatrix_repeatedFramesGiveTheSameValuesAsComparingEveryPair() {
        Picture a = draw(64, 48, g -> g.fillRect(5, 5, 20, 20));
        Picture b = draw(64, 48, g -> g.fillOval(20, 10, 30, 30));
        Picture c = draw(80, 60, g -> g.fillRect(30, 5, 20, 40));       // resized to 64x48
        Picture aCopy = new Picture(64, 48, a.rgb().clone());         // equal pixels, another object
        List<Picture> ref = List.of(a, aCopy, b, a);
        List<Picture> cand = List.of(c, a, c, b);
        double[][] m = VS.ssimMatrix(ref, cand);
        for (int i = 0; i < ref.size(); i++) {
            for (int j = 0; j < cand.size(); j++) {
                assertEquals(Ssim.ssim(ref.get(i), cand.get(j)), m[i][j], 0, i + "," + j);
            }
        }
        assertEquals(1.0, m[1][1], 0);
    }

    @Test
    void withoutEmbedder_clipPartsAndVsAreUnavailableNotZero() {
        Picture p = draw(32, 32, g -> g.fillRect(4, 4, 10, 10));
        VideoScore s = VS.compare(List.of(p), List.of(p));
        for (String name : List.of("vs_paper_clip", "vs_paper", "vs_corrected_clip", "vs_corrected")) {
            assertFalse(s.metric(name).available(), name);
        }
    }

    @Test
    void withEmbedder_vsIsGeometricMeanOfParts() {
        // A small deterministic embedder: the mean colour of each image quadrant, enough to tell frames apart.
        ImageEmbedder quadrants = new ImageEmbedder() {
            @Override
            public String name() {
                return "test-quadrant-means";
            }

            @Override
            public float[] embed(Picture p) {
                float[] v = new float[12];
                for (int y = 0; y < p.height(); y++) {
                    for (int x = 0; x < p.width(); x++) {
                        int q = (y * 2 / p.height()) * 2 + x * 2 / p.width();
                        int c = p.pixel(x, y);
                        v[q * 3] += ((c >> 16) & 0xFF) + 1;
                        v[q * 3 + 1] += ((c >> 8) & 0xFF) + 1;
                        v[q * 3 + 2] += (c & 0xFF) + 1;
                    }
                }
                return v;
            }
        };
        List<Picture> a = List.of(draw(64, 48, g -> g.fillRect(0, 0, 32, 24)), draw(64, 48, g -> g.fillRect(32, 24, 32, 24)));
        List<Picture> b = List.of(draw(64, 48, g -> g.fillRect(32, 0, 32, 24)));
        try (VideoSimilarity vs = VideoSimilarity.builder().imageEmbedder(quadrants).threads(1).build()) {
            VideoScore s = vs.compare(a, b);
            double clip = s.metric("vs_paper_clip").value();
            assertTrue(clip > 0 && clip < 1, s.toString());
            assertEquals(clip, s.metric("vs_corrected_clip").value(), 0);
            assertEquals(Math.sqrt(s.metric("vs_paper_ssim").value() * clip), s.metric("vs_paper").value(), 1e-12);
            assertEquals(Math.sqrt(s.metric("vs_corrected_ssim").value() * clip), s.metric("vs_corrected").value(), 1e-12);
            VideoScore same = vs.compare(a, a);
            assertEquals(1.0, same.metric("vs_paper_clip").value(), 1e-6);
        }
    }

    @Test
    void emptyFrameListIsRejectedWithAClearMessage() {
        Picture p = draw(16, 16, g -> { });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VS.compare(List.of(), List.of(p)));
        assertTrue(e.getMessage().contains("at least one frame"), e.getMessage());
    }

    @Test
    void failedRenderScoresZeroAsPublished() {
        VideoScore s = VideoSimilarity.failedRender();
        assertEquals(0, s.metric("vs_paper").value());
        assertEquals(0, s.metric("vs_corrected").value());
        assertFalse(s.metric("mean_frame_ssim").available());
    }

    @Test
    void sample_takesEveryIntFpsOverFiveThFrameFromZero() {
        List<Picture> frames = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int v = i;
            frames.add(new Picture(1, 1, new int[] {v}));
        }
        assertEquals(List.of(0, 3, 6, 9), values(VideoSimilarity.sample(frames, 15)));
        assertEquals(List.of(0, 5), values(VideoSimilarity.sample(frames, 29.97)));  // int(5.994) = 5
        assertEquals(10, VideoSimilarity.sample(frames, 4).size());                 // max(1, 0)
        assertEquals(List.of(0, 2, 4, 6, 8), values(VideoSimilarity.sample(frames, 10)));
        assertThrows(IllegalArgumentException.class, () -> VideoSimilarity.sample(frames, 0));
    }

    private static List<Integer> values(List<Picture> frames) {
        return frames.stream().map(p -> p.rgb()[0]).toList();
    }

    static Picture draw(int w, int h, java.util.function.Consumer<Graphics2D> painter) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(new Color(30, 60, 160));
        painter.accept(g);
        g.dispose();
        return Picture.of(img);
    }

    private static Picture noise(Random rnd, int w, int h) {
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = rnd.nextInt(1 << 24);
        }
        return new Picture(w, h, rgb);
    }
}
