package dev.renderloop.score;

import java.util.List;

/**
 * The coarse-to-fine tiled similarity of a render to its target image (VinciCoder's visual reward).
 *
 * @param metrics        one metric, {@code tiled}: the mean tile similarity, 0..1 (0 for a failed render)
 * @param tileSimilarity how tiles were compared, e.g. {@code dinov2:...} or the labelled weight-free fallback
 * @param columns        tile columns of the grid (0 for a failed render)
 * @param rows           tile rows of the grid (0 for a failed render)
 * @param tileScores     similarity per tile, row by row, then the thumbnail's when there is more than one tile
 */
public record TiledScore(List<Metric> metrics, String tileSimilarity, int columns, int rows, List<Double> tileScores) {

    public TiledScore {
        metrics = List.copyOf(metrics);
        tileScores = List.copyOf(tileScores);
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("a tiled score needs its metric");
        }
    }

    /** The value of the {@code tiled} metric. */
    public double value() {
        return metrics.getFirst().value();
    }
}
