package dev.renderloop.agent;

import dev.renderloop.render.ManimMode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.CodeSimilarity;
import dev.renderloop.score.ImageEmbedder;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Ssim;
import dev.renderloop.score.TextEmbedder;
import dev.renderloop.score.TiledReward;
import dev.renderloop.score.VideoSimilarity;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scores an attempt's render against the task's reference: the reference program is rendered once per task
 * (through the engine and its cache), then the candidate gets the code metrics (Python domains) and the visual
 * metrics of its domain (VS for Manim videos; SSIM, tiled and VS for stills), and {@code blank} (1 when every frame
 * is one flat colour). A failed candidate render gets the
 * published zeros. A task without reference code, or whose reference does not render, gets no visual metrics,
 * with the reason. Thread-safe.
 */
public final class ReferenceScorer implements AttemptScorer, AutoCloseable {
    private static final Set<String> PYTHON = Set.of("manim", "matplotlib", "rdkit");

    private final RenderEngine engine;
    private final CodeSimilarity code;
    private final VideoSimilarity video;
    private final TiledReward tiled;
    private final ManimMode manimMode;
    private final Map<String, RenderResult> references = new ConcurrentHashMap<>();
    /** Four tasks' reference frames: enough for a run's concurrent tasks at the usual concurrency, ~320 MB at most. */
    private final DecodedReferences decoded = new DecodedReferences(4, Picture::read);

    /**
     * @param engine   renders the references
     * @param clip     CLIP embedder for VS's embedding part, or {@code null} (those metrics are then unavailable)
     * @param dino     DINOv2 embedder for the tiled reward, or {@code null} (the labelled weight-free fallback)
     * @param codebert CodeBERT embedder, or {@code null} (codebert and cbb unavailable)
     */
    public ReferenceScorer(RenderEngine engine, ImageEmbedder clip, ImageEmbedder dino, TextEmbedder codebert) {
        this(engine, clip, dino, codebert, ManimMode.PUBLISHED);
    }

    /**
     * As {@link #ReferenceScorer(RenderEngine, ImageEmbedder, ImageEmbedder, TextEmbedder)}, rendering Manim
     * references (and, through {@link #settings}, the candidates of callers that use it) in {@code manimMode}:
     * {@link ManimMode#PUBLISHED} for parity with the paper, {@link ManimMode#REWARD} for training and the reward
     * service. References and candidates must share one mode: the published mode's frames went through the codec.
     */
    public ReferenceScorer(RenderEngine engine, ImageEmbedder clip, ImageEmbedder dino, TextEmbedder codebert,
                           ManimMode manimMode) {
        this.engine = engine;
        this.manimMode = java.util.Objects.requireNonNull(manimMode, "manimMode");
        this.code = new CodeSimilarity(codebert);
        VideoSimilarity.Builder b = VideoSimilarity.builder();
        if (clip != null) {
            b.imageEmbedder(clip);
        }
        this.video = b.build();
        this.tiled = dino == null ? TiledReward.weightFree() : TiledReward.withEmbedder(dino);
    }

    /** How tiles are compared: the DINOv2 embedder's name, or the labelled weight-free fallback. */
    public String tileSimilarity() {
        return tiled.tileSimilarity();
    }

    /** The Manim mode references are rendered in; candidates scored against them should be rendered in it too. */
    public ManimMode manimMode() {
        return manimMode;
    }

    /** The settings references of {@code domain} are rendered with: its defaults, in this scorer's {@link #manimMode()}. */
    public RenderSettings settings(String domain) {
        return RenderSettings.defaultsFor(domain).withManimMode(manimMode);
    }

    /** The task's reference render (rendered once per task id through the engine and its cache). */
    public RenderResult reference(Task task) {
        return references.computeIfAbsent(task.id(), id -> engine.render(
                new RenderRequest(task.domain(), task.code(), settings(task.domain()))));
    }

    /** Every metric of one candidate. */
    @Override
    public List<Metric> score(Task task, String candidateCode, RenderResult render) {
        if (task.code().isBlank()) {
            return List.of(Metric.unavailable("reference", "the task has no reference code"));
        }
        RenderResult reference = reference(task);
        if (!reference.ok()) {
            List<Metric> out = new ArrayList<>(codeMetrics(task.domain(), task.code(), candidateCode));
            out.add(Metric.unavailable("vs_paper", "the reference does not render: " + reference.errorKind().wireName()));
            return out;
        }
        List<Picture> frames;
        try {
            frames = decoded.frames(task.id(), task.domain().equals("manim") ? reference.frames() : List.of(reference.lastFrame()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the reference frames", e);
        }
        return score(task.domain(), task.code(), frames, candidateCode, render);
    }

    /**
     * Every metric of one candidate against reference pictures the caller holds (a decoded reference render, or a
     * target image): the code metrics when {@code referenceCode} is given and the domain is a Python one, then the
     * visual metrics of the domain (VS over the frames for {@code manim}; SSIM, tiled and VS of the last picture
     * otherwise) and {@code blank}; a failed or missing candidate render gets the published zeros.
     *
     * @param referenceFrames the reference's frames in time order (one for a still), not empty
     * @param referenceCode   the reference program, or {@code null}/blank when there is only a picture
     * @throws UncheckedIOException when the candidate's frames cannot be read
     */
    public List<Metric> score(String domain, String referenceCode, List<Picture> referenceFrames, String candidateCode,
            RenderResult render) {
        return score(domain, referenceCode, referenceFrames, candidateCode, render, Families.ALL);
    }

    /**
     * The metric families {@link #score} computes; {@code blank} is always measured (one pass over the pixels).
     *
     * @param code  the code metrics ({@code syntax_ok}, {@code codebleu*}, {@code ast_distance}, {@code codebert},
     *              {@code cbb}; Python domains with reference code)
     * @param ssim  whole-picture {@code ssim} (stills)
     * @param tiled {@code tiled} (stills)
     * @param video VS: {@code vs_*} and {@code mean_frame_ssim}
     */
    public record Families(boolean code, boolean ssim, boolean tiled, boolean video) {
        /** Every family: what {@code renderloop score}, the benchmark and the agent report. */
        public static final Families ALL = new Families(true, true, true, true);

        /**
         * The families holding the given metric keys (a reward spec's parts), and the code family's {@code syntax_ok}
         * with any code metric. A key no family is known to hold selects every family, so it is reported as before
         * (measured, or unavailable with the reason).
         */
        public static Families holding(java.util.Collection<String> keys) {
            boolean code = false;
            boolean ssim = false;
            boolean tiled = false;
            boolean video = false;
            for (String k : keys) {
                if (k.equals("syntax_ok") || k.startsWith("codebleu") || k.equals("ast_distance") || k.equals("codebert")
                        || k.equals("cbb")) {
                    code = true;
                } else if (k.equals("ssim")) {
                    ssim = true;
                } else if (k.equals("tiled")) {
                    tiled = true;
                } else if (k.startsWith("vs_") || k.equals("mean_frame_ssim")) {
                    video = true;
                } else if (!k.equals("blank")) {
                    return ALL;
                }
            }
            return new Families(code, ssim, tiled, video);
        }
    }

    /**
     * As {@link #score(String, String, List, String, RenderResult)}, computing only the metric {@code families}
     * (a reward that needs one metric need not pay for the others).
     */
    public List<Metric> score(String domain, String referenceCode, List<Picture> referenceFrames, String candidateCode,
            RenderResult render, Families families) {
        if (referenceFrames.isEmpty()) {
            throw new IllegalArgumentException("no reference frames");
        }
        List<Metric> out = new ArrayList<>();
        if (families.code() && referenceCode != null && !referenceCode.isBlank()) {
            out.addAll(codeMetrics(domain, referenceCode, candidateCode));
        }
        if (render == null || !render.ok()) {
            if (families.video()) {
                out.addAll(VideoSimilarity.failedRender().metrics());
            }
            if (!domain.equals("manim")) {
                if (families.ssim()) {
                    out.add(Metric.of("ssim", 0));
                }
                if (families.tiled()) {
                    out.addAll(tiled.failedRender().metrics());
                }
            }
            return out;
        }
        try {
            if (domain.equals("manim")) {
                List<Picture> frames = pictures(render.frames());
                if (families.video()) {
                    out.addAll(video.compare(referenceFrames, frames).metrics());
                }
                out.add(Metric.of("blank", frames.stream().allMatch(ReferenceScorer::blank) ? 1 : 0));
            } else {
                Picture ref = referenceFrames.get(referenceFrames.size() - 1);
                Picture cand = Picture.read(render.lastFrame());
                if (families.ssim()) {
                    out.add(Metric.of("ssim", Ssim.ssim(ref, cand)));
                }
                if (families.tiled()) {
                    out.addAll(tiled.score(ref, cand).metrics());
                }
                if (families.video()) {
                    out.addAll(video.compare(List.of(ref), List.of(cand)).metrics());
                }
                out.add(Metric.of("blank", blank(cand) ? 1 : 0));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read rendered frames", e);
        }
        return out;
    }

    private List<Metric> codeMetrics(String domain, String referenceCode, String candidateCode) {
        return PYTHON.contains(domain) ? code.score(referenceCode, candidateCode).metrics() : List.of();
    }

    /**
     * Whether a picture is one flat colour (every channel within 2 levels): a render that "succeeded" without
     * drawing anything, e.g. a Manim scene whose {@code construct} is misspelt. RSR counts it; the benchmark
     * reports it beside RSR.
     */
    static boolean blank(Picture p) {
        int first = p.rgb()[0];
        for (int v : p.rgb()) {
            if (Math.abs(((v >> 16) & 0xFF) - ((first >> 16) & 0xFF)) > 2 || Math.abs(((v >> 8) & 0xFF) - ((first >> 8) & 0xFF)) > 2
                    || Math.abs((v & 0xFF) - (first & 0xFF)) > 2) {
                return false;
            }
        }
        return true;
    }

    private static List<Picture> pictures(List<Path> files) throws IOException {
        List<Picture> out = new ArrayList<>();
        for (Path f : files) {
            out.add(Picture.read(f));
        }
        return out;
    }

    @Override
    public void close() {
        video.close();
    }
}
