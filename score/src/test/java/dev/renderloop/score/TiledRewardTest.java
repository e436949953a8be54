package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TiledRewardTest {

    @Test
    void grid_followsTheAspectRatioAndPrefersMoreTilesForLargeImagesOnTies() {
        assertArrayEquals(new int[] {1, 1}, TiledReward.grid(300, 300));   // small square: 1x1
        assertArrayEquals(new int[] {2, 2}, TiledReward.grid(900, 900));   // 810k px > half of 2x2 tiles, < half of 3x3 (903k)
        assertArrayEquals(new int[] {3, 3}, TiledReward.grid(1400, 1400));
        assertArrayEquals(new int[] {2, 1}, TiledReward.grid(800, 400));
        assertArrayEquals(new int[] {1, 12}, TiledReward.grid(10, 2000));
    }

    @Test
    void score_identicalImagesScoreOneAndCountTilesPlusThumbnail() {
        Picture p = VideoSimilarityTest.draw(900, 460, g -> g.fillOval(100, 100, 300, 200));
        TiledScore s = TiledReward.weightFree().score(p, p);
        assertEquals(1.0, s.value(), 1e-12);
        assertEquals(s.columns() * s.rows() + 1, s.tileScores().size());
        assertEquals("tiled", s.metrics().getFirst().name());
        assertEquals(TiledReward.FALLBACK_LABEL, s.tileSimilarity());
    }

    @Test
    void score_singleTileHasNoThumbnail() {
        Picture a = VideoSimilarityTest.draw(336, 336, g -> g.fillRect(10, 10, 100, 100));
        Picture b = VideoSimilarityTest.draw(336, 336, g -> g.fillRect(200, 150, 100, 100));
        TiledScore s = TiledReward.weightFree().score(a, b);
        assertEquals(1, s.tileScores().size());
        assertTrue(s.value() < 1 && s.value() > 0, s.toString());
    }

    @Test
    void score_withEmbedderUsesHalfCosinePlusHalfAndItsName() {
        ImageEmbedder brightness = new ImageEmbedder() {
            @Override
            public String name() {
                return "test-brightness";
            }

            @Override
            public float[] embed(Picture p) {
                double s = 0;
                for (int v : p.rgb()) {
                    s += v & 0xFF;
                }
                return new float[] {1, (float) (s / p.rgb().length / 255)};
            }
        };
        Picture white = VideoSimilarityTest.draw(896, 448, g -> { });
        Picture dark = VideoSimilarityTest.draw(896, 448, g -> g.fillRect(0, 0, 448, 448));
        TiledScore s = TiledReward.withEmbedder(brightness).score(white, dark);
        assertEquals("test-brightness", s.tileSimilarity());
        assertEquals(3, s.tileScores().size());
        assertEquals(1.0, s.tileScores().get(1), 1e-6);  // the right tiles are both white
        assertTrue(s.tileScores().get(0) < 1);
    }

    @Test
    void failedRenderScoresZero() {
        assertEquals(List.of(Metric.of("tiled", 0)), TiledReward.weightFree().failedRender().metrics());
    }
}
