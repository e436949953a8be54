package dev.renderloop.score;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * VS, the visual similarity of a rendered video to a reference video, as published (ManimTrainer,
 * arXiv 2604.18364) and corrected.
 *
 * <h2>Published definition ("paper" mode)</h2>
 * Frames sampled at about 5 fps ({@link #sample}); M[i][j] = grayscale SSIM of reference frame i and
 * candidate frame j (candidate resized to the reference size with area interpolation). A = row maxima,
 * B = column maxima, {@code d = DTW(A, B, |a - b|) / max(len A, len B)}, SSIM part = {@code exp(-5 d)}.
 * CLIP part: DTW over {@code 1 - cos} of L2-normalised image embeddings, divided by the longer length,
 * {@code exp(-c)}. VS = {@code sqrt(SSIM part * CLIP part)}, and 0 for a failed render. This class uses
 * exact DTW where the published code used fastdtw (which can only give a larger distance).
 *
 * <h2>Why a corrected mode</h2>
 * The published SSIM part compares the profiles of best-match values, not their level: any two stills
 * give a 1x1 matrix and therefore exactly 1.0, and two different videos whose frames all match equally
 * badly score near 1. The corrected SSIM part aligns the frames themselves, DTW over the cost
 * {@code 1 - M[i][j]}, with the same normalisation and {@code exp(-5 d)} mapping. Both are always reported;
 * neither replaces the other.
 *
 * <h2>Cost</h2>
 * n x m SSIMs; per-frame window statistics are computed once ({@link Ssim#prepare}), frames with identical
 * pixels are compared once, and pairs are spread over the configured threads. Instances are thread-safe; {@link #close} stops the threads.
 */
public final class VideoSimilarity implements AutoCloseable {
    /** Frames per second the published code samples at. */
    public static final double SAMPLE_FPS = 5;

    private final ImageEmbedder embedder;
    private final int threads;
    private final ExecutorService pool;

    private VideoSimilarity(Builder b) {
        this.embedder = b.embedder;
        this.threads = b.threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "renderloop-vs");
            t.setDaemon(true);  // a forgotten close() must not keep the JVM alive
            return t;
        });
    }

    /** A builder: no embedder (CLIP parts unavailable), one thread per available core. */
    public static Builder builder() {
        return new Builder();
    }

    /** Configuration of a {@link VideoSimilarity}. */
    public static final class Builder {
        private ImageEmbedder embedder;
        private int threads = Runtime.getRuntime().availableProcessors();

        private Builder() {
        }

        /** The CLIP image embedder for the CLIP parts; {@code null} leaves them unavailable. */
        public Builder imageEmbedder(ImageEmbedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /** Threads that compute SSIM pairs, at least 1. */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        public VideoSimilarity build() {
            return new VideoSimilarity(this);
        }
    }

    /**
     * The frames the published code compares: every {@code max(1, int(fps / 5))}-th frame, starting at frame 0.
     *
     * @throws IllegalArgumentException when {@code fps} is not positive
     */
    public static List<Picture> sample(List<Picture> frames, double fps) {
        if (!(fps > 0)) {
            throw new IllegalArgumentException("fps must be positive, got " + fps);
        }
        int step = Math.max(1, (int) (fps / SAMPLE_FPS));
        List<Picture> out = new ArrayList<>(frames.size() / step + 1);
        for (int i = 0; i < frames.size(); i += step) {
            out.add(frames.get(i));
        }
        return List.copyOf(out);
    }

    /**
     * The score of a render that failed (no video): VS 0 in both modes, as published ("0 for a failed
     * render", averaged in); the diagnostic mean frame SSIM is unavailable.
     */
    public static VideoScore failedRender() {
        return new VideoScore(List.of(
                Metric.of("vs_paper_ssim", 0), Metric.of("vs_paper_clip", 0), Metric.of("vs_paper", 0),
                Metric.of("vs_corrected_ssim", 0), Metric.of("vs_corrected_clip", 0), Metric.of("vs_corrected", 0),
                Metric.unavailable("mean_frame_ssim", "render failed: no frames")), 0, 0);
    }

    /**
     * Compares two (already sampled, see {@link #sample}) frame sequences. Every frame is converted to gray and
     * resized, when its size differs, to the size of the first reference frame with area interpolation.
     *
     * @throws IllegalArgumentException when either list is empty (zero frames is bad input; a failed render is
     *                                  {@link #failedRender()}) or the reference frames are smaller than 7x7
     */
    public VideoScore compare(List<Picture> reference, List<Picture> candidate) {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(candidate, "candidate");
        if (reference.isEmpty() || candidate.isEmpty()) {
            throw new IllegalArgumentException("VS needs at least one frame on each side, got " + reference.size()
                    + " reference and " + candidate.size() + " candidate frames (a failed render scores failedRender())");
        }
        double[][] m = ssimMatrix(reference, candidate);
        int n = reference.size();
        int k = candidate.size();
        int longer = Math.max(n, k);

        double paperSsim = Math.exp(-5 * Dtw.align(rowMaxima(m), columnMaxima(m)).distance() / longer);
        Dtw.Alignment frames = Dtw.align(n, k, (i, j) -> 1 - m[i][j]);
        double correctedSsim = Math.exp(-5 * frames.distance() / longer);
        double meanFrameSsim = frames.path().stream().mapToDouble(s -> m[s.i()][s.j()]).average().orElseThrow();

        List<Metric> metrics = new ArrayList<>();
        metrics.add(Metric.of("vs_paper_ssim", paperSsim));
        if (embedder == null) {
            String why = "no CLIP image embedder configured";
            metrics.add(Metric.unavailable("vs_paper_clip", why));
            metrics.add(Metric.unavailable("vs_paper", "needs vs_paper_clip: " + why));
            metrics.add(Metric.of("vs_corrected_ssim", correctedSsim));
            metrics.add(Metric.unavailable("vs_corrected_clip", why));
            metrics.add(Metric.unavailable("vs_corrected", "needs vs_corrected_clip: " + why));
        } else {
            double clip = clipPart(reference, candidate);
            metrics.add(Metric.of("vs_paper_clip", clip));
            metrics.add(Metric.of("vs_paper", Math.sqrt(paperSsim * clip)));
            metrics.add(Metric.of("vs_corrected_ssim", correctedSsim));
            metrics.add(Metric.of("vs_corrected_clip", clip));
            metrics.add(Metric.of("vs_corrected", Math.sqrt(correctedSsim * clip)));
        }
        metrics.add(Metric.of("mean_frame_ssim", meanFrameSsim));
        return new VideoScore(metrics, n, k);
    }

    /**
     * SSIM of every (reference frame, candidate frame) pair, candidate frames resized to the size of the
     * first reference frame; {@code [i][j]} is reference i against candidate j. Frames whose gray pixels are
     * identical (a Manim {@code wait()}, a static scene) are prepared and compared once: their rows or columns
     * are equal, so this changes no value.
     */
    double[][] ssimMatrix(List<Picture> reference, List<Picture> candidate) {
        int w = reference.getFirst().width();
        int h = reference.getFirst().height();
        Distinct ref = distinct(grayAll(reference, w, h));
        Distinct cand = distinct(grayAll(candidate, w, h));
        List<Ssim.Frame> refFrames = prepareAll(ref.frames);
        List<Ssim.Frame> candFrames = prepareAll(cand.frames);
        double[][] unique = new double[refFrames.size()][candFrames.size()];
        List<Future<?>> rows = new ArrayList<>(refFrames.size());
        for (int i = 0; i < refFrames.size(); i++) {
            int row = i;
            rows.add(pool.submit(() -> {
                Ssim.Frame a = refFrames.get(row);
                for (int j = 0; j < candFrames.size(); j++) {
                    unique[row][j] = Ssim.ssim(a, candFrames.get(j));
                }
            }));
        }
        await(rows);
        double[][] m = new double[reference.size()][candidate.size()];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = unique[ref.index[i]][cand.index[j]];
            }
        }
        return m;
    }

    /** Distinct frames in order of first appearance, and for every input frame the index of its distinct frame. */
    private record Distinct(List<GrayImage> frames, int[] index) {
    }

    private static Distinct distinct(List<GrayImage> frames) {
        List<GrayImage> unique = new ArrayList<>();
        java.util.Map<Integer, List<Integer>> byHash = new java.util.HashMap<>();
        int[] index = new int[frames.size()];
        for (int i = 0; i < frames.size(); i++) {
            GrayImage g = frames.get(i);
            List<Integer> sameHash = byHash.computeIfAbsent(java.util.Arrays.hashCode(g.pixels()), k -> new ArrayList<>());
            int found = -1;
            for (int u : sameHash) {
                if (java.util.Arrays.equals(unique.get(u).pixels(), g.pixels())) {
                    found = u;
                    break;
                }
            }
            if (found < 0) {
                found = unique.size();
                unique.add(g);
                sameHash.add(found);
            }
            index[i] = found;
        }
        return new Distinct(unique, index);
    }

    private List<GrayImage> grayAll(List<Picture> frames, int w, int h) {
        List<Future<GrayImage>> jobs = new ArrayList<>(frames.size());
        for (Picture p : frames) {
            jobs.add(pool.submit(() -> GrayImage.of(p).resizeArea(w, h)));
        }
        List<GrayImage> out = new ArrayList<>(frames.size());
        for (Future<GrayImage> f : jobs) {
            out.add(get(f));
        }
        return out;
    }

    private List<Ssim.Frame> prepareAll(List<GrayImage> frames) {
        List<Future<Ssim.Frame>> jobs = new ArrayList<>(frames.size());
        for (GrayImage g : frames) {
            jobs.add(pool.submit(() -> Ssim.prepare(g)));
        }
        List<Ssim.Frame> out = new ArrayList<>(frames.size());
        for (Future<Ssim.Frame> f : jobs) {
            out.add(get(f));
        }
        return out;
    }

    private double clipPart(List<Picture> reference, List<Picture> candidate) {
        List<float[]> a = normalised(embedder.embedAll(reference));
        List<float[]> b = normalised(embedder.embedAll(candidate));
        double distance = Dtw.align(a.size(), b.size(), (i, j) -> 1 - dot(a.get(i), b.get(j))).distance();
        return Math.exp(-distance / Math.max(a.size(), b.size()));
    }

    static List<float[]> normalised(List<float[]> vectors) {
        List<float[]> out = new ArrayList<>(vectors.size());
        for (float[] v : vectors) {
            double norm = Math.sqrt(dot(v, v));
            float[] u = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                u[i] = (float) (v[i] / norm);
            }
            out.add(u);
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("embedding lengths differ: " + a.length + " and " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    static double[] rowMaxima(double[][] m) {
        double[] out = new double[m.length];
        for (int i = 0; i < m.length; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (double v : m[i]) {
                best = Math.max(best, v);
            }
            out[i] = best;
        }
        return out;
    }

    static double[] columnMaxima(double[][] m) {
        double[] out = new double[m[0].length];
        java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
        for (double[] row : m) {
            for (int j = 0; j < row.length; j++) {
                out[j] = Math.max(out[j], row[j]);
            }
        }
        return out;
    }

    private static void await(List<Future<?>> futures) {
        for (Future<?> f : futures) {
            get(f);
        }
    }

    private static <T> T get(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing SSIM", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        pool.shutdownNow();
    }
}
