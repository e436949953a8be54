package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * VinciCoder's coarse-to-fine visual reward (arXiv 2511.00391), with a pluggable tile similarity.
 *
 * <p>Steps: the candidate is resized to the target's size; a grid of {@code i} columns and {@code j} rows
 * ({@code 1 <= i * j <= 12}) is chosen from the target's aspect ratio exactly as InternVL's
 * {@code dynamic_preprocess}/{@code find_closest_aspect_ratio} chooses it ({@link #grid}); both images are
 * resized to {@code 448 i x 448 j} and cut into 448x448 tiles; each tile is compared with the tile at the
 * same position; when there is more than one tile, 448x448 thumbnails of the whole images are compared too.
 * The score is the mean over tiles and thumbnail.
 *
 * <p>Tile similarity: with an {@link ImageEmbedder} (DINOv2 as published), {@code (cos + 1) / 2} of the two
 * embeddings. Without one, a weight-free fallback that is <em>not</em> the published reward and is labelled
 * so in {@link TiledScore#tileSimilarity()}: {@code (SSIM + 1) / 2} of the grayscale tiles ({@link Ssim}).
 *
 * <p>Resizing: every resize is OpenCV's {@code INTER_AREA} ({@link GrayImage#resizeArea}), per RGB channel for
 * the embedder path and on the OpenCV grayscale image for the fallback (the published code resizes with
 * PIL's default filter; the embedder does its own preprocessing of each 448x448 tile). Thread-safe.
 */
public final class TiledReward {
    /** Tile side, as published. */
    public static final int TILE = 448;
    /** Largest number of tiles, as published ({@code max_num=12}). */
    public static final int MAX_TILES = 12;
    /** The {@link TiledScore#tileSimilarity()} label of the weight-free fallback. */
    public static final String FALLBACK_LABEL =
            "ssim (weight-free fallback, no DINOv2 model configured): (SSIM+1)/2 of grayscale tiles";

    private final ImageEmbedder embedder;

    private TiledReward(ImageEmbedder embedder) {
        this.embedder = embedder;
    }

    /** The published reward: tiles compared by {@code (cos + 1) / 2} of DINOv2 embeddings from this embedder. */
    public static TiledReward withEmbedder(ImageEmbedder embedder) {
        return new TiledReward(Objects.requireNonNull(embedder, "embedder"));
    }

    /** The weight-free fallback: tiles compared by {@code (SSIM + 1) / 2} on grayscale. */
    public static TiledReward weightFree() {
        return new TiledReward(null);
    }

    /** The label of this reward's tile similarity, as put in every score. */
    public String tileSimilarity() {
        return embedder == null ? FALLBACK_LABEL : embedder.name();
    }

    /** The score of a render that failed: 0, as published. */
    public TiledScore failedRender() {
        return new TiledScore(List.of(Metric.of("tiled", 0)), tileSimilarity(), 0, 0, List.of());
    }

    /**
     * A tile grid.
     *
     * @param columns tiles across, at least 1
     * @param rows    tiles down, at least 1
     */
    public record Grid(int columns, int rows) {
        public Grid {
            if (columns < 1 || rows < 1) {
                throw new IllegalArgumentException("a grid needs at least one column and one row, got " + columns + "x" + rows);
            }
        }

        /** Number of tiles. */
        public int tiles() {
            return columns * rows;
        }
    }

    /**
     * The tile grid for an image of this size: InternVL's {@code find_closest_aspect_ratio}
     * with {@code min_num=1, max_num=12, image_size=448}. Candidates are visited by increasing tile count;
     * a strictly closer aspect ratio wins; on an equal distance the later (larger) grid wins when the image
     * area exceeds half of that grid's pixel area. InternVL orders grids of one tile count by CPython's set
     * order, this method by increasing columns; that order never decides (see the test
     * {@code grid_orderWithinOneTileCountNeverDecides}), and 416 sizes are checked against InternVL's code.
     */
    public static Grid grid(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be at least 1x1, got " + width + "x" + height);
        }
        double aspect = (double) width / height;
        double area = (double) width * height;
        double bestDiff = Double.POSITIVE_INFINITY;
        Grid best = new Grid(1, 1);
        for (int tiles = 1; tiles <= MAX_TILES; tiles++) {
            for (int i = 1; i <= tiles; i++) {
                if (tiles % i != 0) {
                    continue;
                }
                int j = tiles / i;
                double diff = Math.abs(aspect - (double) i / j);
                if (diff < bestDiff) {
                    bestDiff = diff;
                    best = new Grid(i, j);
                } else if (diff == bestDiff && area > 0.5 * TILE * TILE * i * j) {
                    best = new Grid(i, j);
                }
            }
        }
        return best;
    }

    /**
     * Scores a render against its target; any two sizes are accepted (the candidate is resized to the target).
     * A render that failed has no picture: score it with {@link #failedRender()}.
     */
    public TiledScore score(Picture target, Picture candidate) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(candidate, "candidate");
        Grid g = grid(target.width(), target.height());
        int cols = g.columns();
        int rows = g.rows();
        List<Double> scores = embedder == null
                ? grayTiles(preparedTarget(target, cols, rows), candidate, cols, rows)
                : embeddedTiles(target, candidate, cols, rows);
        double mean = scores.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return new TiledScore(List.of(Metric.of("tiled", mean)), tileSimilarity(), cols, rows, scores);
    }

    /**
     * A target prepared for the weight-free path: its grayscale image and the window statistics of its tiles and
     * thumbnail. A reward compares many candidates with one target (a GRPO group, a reward-service batch), so the
     * last few are kept; the key is the {@link Picture} instance (pictures are read-only), which the callers'
     * decoded-reference caches hand out again for a repeated target.
     */
    private record PreparedTarget(Picture picture, GrayImage gray, Ssim.Frame[] tiles, Ssim.Frame thumbnail) {
    }

    private static final int PREPARED_KEPT = 4;
    private final PreparedTarget[] prepared = new PreparedTarget[PREPARED_KEPT];  // most recent first; guarded by this

    private PreparedTarget preparedTarget(Picture target, int cols, int rows) {
        synchronized (this) {
            for (int i = 0; i < prepared.length; i++) {
                PreparedTarget p = prepared[i];
                if (p != null && p.picture() == target) {
                    System.arraycopy(prepared, 0, prepared, 1, i);
                    prepared[0] = p;
                    return p;
                }
            }
        }
        GrayImage t = GrayImage.of(target);
        GrayImage tg = t.resizeArea(TILE * cols, TILE * rows);
        int tiles = cols * rows;
        Ssim.Frame[] frames = new Ssim.Frame[tiles];
        IntStream.range(0, tiles).parallel().forEach(k -> frames[k] = Ssim.prepare(crop(tg, k % cols, k / cols)));
        Ssim.Frame thumbnail = tiles > 1 ? Ssim.prepare(t.resizeArea(TILE, TILE)) : null;
        PreparedTarget p = new PreparedTarget(target, t, frames, thumbnail);
        synchronized (this) {
            System.arraycopy(prepared, 0, prepared, 1, prepared.length - 1);
            prepared[0] = p;
        }
        return p;
    }

    private static List<Double> grayTiles(PreparedTarget target, Picture candidate, int cols, int rows) {
        GrayImage t = target.gray();
        GrayImage c = GrayImage.of(candidate).resizeArea(t.width(), t.height());
        GrayImage cg = c.resizeArea(TILE * cols, TILE * rows);
        int tiles = cols * rows;
        int pairs = tiles + (tiles > 1 ? 1 : 0);
        double[] out = new double[pairs];
        IntStream.range(0, pairs).parallel().forEach(k -> {
            double s = k < tiles
                    ? Ssim.ssim(target.tiles()[k], cg, (k % cols) * TILE, (k / cols) * TILE)
                    : Ssim.ssim(target.thumbnail(), c.resizeArea(TILE, TILE), 0, 0);
            out[k] = (s + 1) / 2;
        });
        return DoubleList.of(out);
    }

    private List<Double> embeddedTiles(Picture target, Picture candidate, int cols, int rows) {
        Picture c = resizeArea(candidate, target.width(), target.height());
        Picture tg = resizeArea(target, TILE * cols, TILE * rows);
        Picture cg = resizeArea(c, TILE * cols, TILE * rows);
        List<Picture> a = new ArrayList<>();
        List<Picture> b = new ArrayList<>();
        for (int k = 0; k < cols * rows; k++) {
            a.add(crop(tg, k % cols, k / cols));
            b.add(crop(cg, k % cols, k / cols));
        }
        if (cols * rows > 1) {
            a.add(resizeArea(target, TILE, TILE));
            b.add(resizeArea(c, TILE, TILE));
        }
        List<float[]> ea = embedder.embedAll(a);
        List<float[]> eb = embedder.embedAll(b);
        double[] out = new double[a.size()];
        for (int k = 0; k < out.length; k++) {
            float[] x = ea.get(k);
            float[] y = eb.get(k);
            double cos = VideoSimilarity.dot(x, y) / Math.sqrt(VideoSimilarity.dot(x, x) * VideoSimilarity.dot(y, y));
            out[k] = (cos + 1) / 2;
        }
        return DoubleList.of(out);
    }

    private static GrayImage crop(GrayImage g, int col, int row) {
        byte[] out = new byte[TILE * TILE];
        for (int y = 0; y < TILE; y++) {
            System.arraycopy(g.pixels(), (row * TILE + y) * g.width() + col * TILE, out, y * TILE, TILE);
        }
        return new GrayImage(TILE, TILE, out);
    }

    private static Picture crop(Picture p, int col, int row) {
        int[] out = new int[TILE * TILE];
        for (int y = 0; y < TILE; y++) {
            System.arraycopy(p.rgb(), (row * TILE + y) * p.width() + col * TILE, out, y * TILE, TILE);
        }
        return new Picture(TILE, TILE, out);
    }

    /** {@code cv2.resize(rgb, (w, h), interpolation=INTER_AREA)}: OpenCV treats channels independently. */
    static Picture resizeArea(Picture p, int w, int h) {
        if (p.width() == w && p.height() == h) {
            return p;
        }
        int n = p.width() * p.height();
        byte[][] channels = new byte[3][n];
        for (int i = 0; i < n; i++) {
            int v = p.rgb()[i];
            channels[0][i] = (byte) (v >> 16);
            channels[1][i] = (byte) (v >> 8);
            channels[2][i] = (byte) v;
        }
        byte[][] resized = new byte[3][];
        for (int c = 0; c < 3; c++) {
            resized[c] = AreaResize.resize(channels[c], p.width(), p.height(), w, h);
        }
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (resized[0][i] & 0xFF) << 16 | (resized[1][i] & 0xFF) << 8 | (resized[2][i] & 0xFF);
        }
        return new Picture(w, h, rgb);
    }

    /** Boxes a double array as an immutable list. */
    private static final class DoubleList {
        static List<Double> of(double[] values) {
            List<Double> out = new ArrayList<>(values.length);
            for (double v : values) {
                out.add(v);
            }
            return List.copyOf(out);
        }
    }
}
