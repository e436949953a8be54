package dev.renderloop.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TiledRewardTest {

    @Test
    void grid_followsTheAspectRatioAndPrefersMoreTilesForLargeImagesOnTies() {
        assertEquals(new TiledReward.Grid(1, 1), TiledReward.grid(300, 300));   // small square: 1x1
        assertEquals(new TiledReward.Grid(2, 2), TiledReward.grid(900, 900));   // 810k px > half of 2x2 tiles, < half of 3x3 (903k)
        assertEquals(new TiledReward.Grid(3, 3), TiledReward.grid(1400, 1400));
        assertEquals(new TiledReward.Grid(2, 1), TiledReward.grid(800, 400));
        assertEquals(new TiledReward.Grid(1, 12), TiledReward.grid(10, 2000));
    }

    /**
     * InternVL visits grids of one tile count in CPython's set order, ours by increasing columns. That can only
     * matter when an image's aspect ratio is equally far from two grids of one tile count and no grid is closer:
     * for every such midpoint some other grid is closer by a wide margin, so the order never decides.
     */
    @Test
    void grid_orderWithinOneTileCountNeverDecides() {
        List<double[]> grids = new java.util.ArrayList<>();
        for (int i = 1; i <= TiledReward.MAX_TILES; i++) {
            for (int j = 1; i * j <= TiledReward.MAX_TILES; j++) {
                grids.add(new double[] {i, j});
            }
        }
        for (double[] g : grids) {
            for (double[] h : grids) {
                if (g[0] * g[1] != h[0] * h[1] || g[0] == h[0]) {
                    continue;
                }
                double mid = (g[0] / g[1] + h[0] / h[1]) / 2;
                double tie = Math.abs(mid - g[0] / g[1]);
                double closest = grids.stream().mapToDouble(k -> Math.abs(mid - k[0] / k[1])).min().orElseThrow();
                assertTrue(closest < tie - 1e-3, "tie between " + List.of(g[0], g[1]) + " and " + List.of(h[0], h[1]));
            }
        }
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

    /**
     * A reused reward keeps its last targets prepared: interleaving six targets (more than it keeps) and scoring each
     * candidate many times gives exactly the scores of a fresh reward per call, on one tile and on a grid.
     */
    @Test
    void preparedTargets_scoreAsAFreshRewardDoes() {
        java.util.Random random = new java.util.Random(3);
        List<Picture> targets = new java.util.ArrayList<>();
        for (int k = 0; k < 6; k++) {
            int w = k % 2 == 0 ? 60 + k : 900 + 10 * k;  // one tile, or a grid with a thumbnail
            int h = k % 2 == 0 ? 50 : 470;
            int[] rgb = new int[w * h];
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] = random.nextInt(1 << 24);
            }
            targets.add(new Picture(w, h, rgb));
        }
        int[] c = new int[80 * 70];
        for (int i = 0; i < c.length; i++) {
            c[i] = random.nextInt(1 << 24);
        }
        Picture candidate = new Picture(80, 70, c);
        TiledReward reused = TiledReward.weightFree();
        for (int round = 0; round < 3; round++) {
            for (int k : new int[] {0, 1, 0, 2, 3, 4, 5, 0, 5, 1}) {
                TiledScore expected = TiledReward.weightFree().score(targets.get(k), candidate);
                assertEquals(expected, reused.score(targets.get(k), candidate), "target " + k + ", round " + round);
            }
        }
    }
}
