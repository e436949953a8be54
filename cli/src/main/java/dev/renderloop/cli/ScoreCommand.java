package dev.renderloop.cli;

import dev.renderloop.agent.ReferenceScorer;
import dev.renderloop.cli.ModelOptions.Models;
import dev.renderloop.render.CodeExtractor;
import dev.renderloop.render.ExtractedCode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.render.SourceText;
import dev.renderloop.score.Metric;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Reward;
import dev.renderloop.score.RewardInput;
import dev.renderloop.score.RewardSpec;
import dev.renderloop.score.Ssim;
import dev.renderloop.score.TiledReward;
import dev.renderloop.score.TiledScore;
import dev.renderloop.score.VideoSimilarity;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop score}: every metric of a candidate against a reference. */
@Command(name = "score", description = "Score a candidate against a reference: programs of a render domain (both are "
        + "rendered first), images (--domain image) or videos (--domain video: video files, frame folders or PNGs).")
final class ScoreCommand implements Callable<Integer> {
    private static final Set<String> PYTHON_DOMAINS = Set.of("manim", "matplotlib", "rdkit");

    @Spec
    CommandSpec spec;

    @Option(names = "--domain", required = true, description = "A render domain (manim, matplotlib, rdkit, svg, smiles, html, tikz), image or video.")
    String domain;

    @Option(names = "--reference", required = true, paramLabel = "REF", description = "Reference program, image or video.")
    Path reference;

    @Option(names = "--candidate", required = true, paramLabel = "CAND", description = "Candidate program (or model answer), image or video.")
    Path candidate;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--fps", paramLabel = "F", description = "Frame rate of frame folders given with --domain video "
            + "(they are then sampled at ~5 fps as published); without it a folder is taken as already sampled.")
    Double folderFps;

    @Option(names = "--reward", paramLabel = "SPEC", description = "Reward formula: manim, manim-geometric, vincicoder, or a custom spec "
            + "(default: manim for manim, vincicoder for other render domains).")
    String rewardSpec;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Object> report = new LinkedHashMap<>();
        List<Metric> metrics = new ArrayList<>();
        try (Models models = modelOptions.open()) {
            switch (domain) {
                case "image" -> images(metrics, report, models);
                case "video" -> videos(metrics, report, models);
                default -> {
                    if (!RenderDomains.ALL.contains(domain)) {
                        err.println("renderloop score: unknown domain '" + domain + "'; expected image, video or one of "
                                + RenderDomains.ALL);
                        return ExitCode.USAGE;
                    }
                    Integer code = programs(metrics, report, models, err);
                    if (code != null) {
                        return code;
                    }
                }
            }
        } catch (BadInput | IOException | IllegalArgumentException e) {
            err.println("renderloop score: " + e.getMessage());
            return ExitCode.USAGE;
        }
        print(report, metrics);
        return ExitCode.OK;
    }

    /** A user input that cannot be scored (missing, unreadable, zero frames). */
    private static final class BadInput extends Exception {
        BadInput(String message) {
            super(message);
        }
    }

    private void images(List<Metric> metrics, Map<String, Object> report, Models models) throws BadInput, IOException {
        Picture ref = picture(reference);
        Picture cand = picture(candidate);
        report.put("reference", Map.of("path", reference.toString(), "width", ref.width(), "height", ref.height()));
        report.put("candidate", Map.of("path", candidate.toString(), "width", cand.width(), "height", cand.height()));
        stills(metrics, report, models, ref, cand);
    }

    private static void stills(List<Metric> metrics, Map<String, Object> report, Models models, Picture ref, Picture cand) {
        metrics.add(Metric.of("ssim", Ssim.ssim(ref, cand)));
        TiledReward tiled = models.dino() == null ? TiledReward.weightFree() : TiledReward.withEmbedder(models.dino());
        TiledScore t = tiled.score(ref, cand);
        metrics.addAll(t.metrics());
        report.put("tile_similarity", t.tileSimilarity());
        report.put("tile_grid", t.columns() + "x" + t.rows());
        // A still is a one-frame video: the VS values show the published metric's behaviour on stills.
        metrics.addAll(video(models).compare(List.of(ref), List.of(cand)).metrics());
    }

    private static VideoSimilarity video(Models models) {
        VideoSimilarity.Builder b = VideoSimilarity.builder();
        if (models.clip() != null) {
            b.imageEmbedder(models.clip());
        }
        return b.build();
    }

    private void videos(List<Metric> metrics, Map<String, Object> report, Models models) throws BadInput, IOException {
        VideoFrames ref = frames(reference);
        VideoFrames cand = frames(candidate);
        report.put("reference", frameInfo(ref));
        report.put("candidate", frameInfo(cand));
        try (VideoSimilarity vs = video(models)) {
            metrics.addAll(vs.compare(ref.frames(), cand.frames()).metrics());
        }
    }

    private static Map<String, Object> frameInfo(VideoFrames v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", v.source().toString());
        m.put("fps", v.fps());
        m.put("decoded_frames", v.decoded());
        m.put("sampled_frames", v.frames().size());
        return m;
    }

    private VideoFrames frames(Path path) throws BadInput {
        try {
            return VideoFrames.read(path, folderFps, engineOptions.python != null ? engineOptions.python : Path.of("/usr/bin/python3"));
        } catch (IOException e) {
            throw new BadInput(e.getMessage());
        }
    }

    private static Picture picture(Path path) throws BadInput {
        try {
            return Picture.read(path);
        } catch (IOException e) {
            throw new BadInput(e.getMessage());
        }
    }

    private Integer programs(List<Metric> metrics, Map<String, Object> report, Models models, PrintWriter err) throws BadInput, IOException {
        String refCode = program(reference, false).code();
        ExtractedCode cand = program(candidate, true);
        report.put("format_ok", cand.formatOk());
        // The same scorer the agent and the benchmark use: reference rendered once, code metrics for Python
        // domains, the domain's visual metrics, the published zeros for a failed render.
        Task task = new Task("reference", domain, "", refCode, null, null);
        try (RenderEngine engine = engineOptions.builder().build();
             ReferenceScorer scorer = new ReferenceScorer(engine, models.clip(), models.dino(), models.codebert())) {
            RenderResult refRender = scorer.reference(task);
            if (!refRender.ok()) {
                err.println("renderloop score: the reference does not render (" + refRender.errorKind().wireName() + "): "
                        + refRender.errorTail(10));
                return ExitCode.RENDER_FAILED;
            }
            RenderResult candRender = cand.code().isBlank() ? null
                    : engine.render(new RenderRequest(domain, cand.code(), RenderSettings.defaultsFor(domain)));
            report.put("reference_render", ResultJson.of(refRender));
            report.put("candidate_render", candRender == null ? null : ResultJson.of(candRender));
            boolean rendered = candRender != null && candRender.ok();
            if (!PYTHON_DOMAINS.contains(domain)) {
                String why = "code metrics are defined for Python programs (manim, matplotlib, rdkit), not " + domain;
                for (String key : List.of("codebleu", "ast_distance", "codebert", "cbb")) {
                    metrics.add(Metric.unavailable(key, why));
                }
            }
            metrics.addAll(scorer.score(task, cand.code(), candRender));
            boolean parses = metrics.stream().filter(m -> m.name().equals("syntax_ok")).findFirst().map(m -> m.value() == 1).orElse(true);
            if (!domain.equals("manim")) {
                Picture target = Picture.read(refRender.lastFrame());
                TiledReward.Grid grid = TiledReward.grid(target.width(), target.height());
                report.put("tile_similarity", scorer.tileSimilarity());
                report.put("tile_grid", grid.columns() + "x" + grid.rows());
            }
            RewardSpec rs = rewardSpec != null ? RewardSpec.parse(rewardSpec)
                    : domain.equals("manim") ? RewardSpec.manim() : RewardSpec.vinciCoder();
            Reward reward = Reward.of(rs, new RewardInput(!cand.code().isBlank(), parses, cand.formatOk(), rendered, metrics));
            metrics.addAll(reward.metrics());
            report.put("reward_spec", rs.toString());
            report.put("reward_rule", reward.explain());
        }
        return null;
    }

    /** The program in a file: a model's answer is extracted as the domain's extractor does, plain code taken whole. */
    private ExtractedCode program(Path file, boolean isCandidate) throws BadInput, IOException {
        if (!Files.isRegularFile(file)) {
            throw new BadInput("no such file: " + file);
        }
        SourceText text = SourceText.decode(Files.readAllBytes(file));
        if (!text.ok()) {
            throw new BadInput(file + ": " + text.problem());
        }
        ExtractedCode e = CodeExtractor.extract(domain, text.text());
        if (e.source() == ExtractedCode.Source.NONE || !isCandidate && e.source() == ExtractedCode.Source.BARE) {
            return new ExtractedCode(text.text(), false, ExtractedCode.Source.BARE, 0);
        }
        return e;
    }

    private void print(Map<String, Object> report, List<Metric> metrics) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("domain", domain);
            Map<String, String> unavailable = new LinkedHashMap<>();
            for (Metric m : metrics) {
                j.put(m.name(), m.available() ? m.value() : null);
                if (!m.available()) {
                    unavailable.put(m.name(), m.unavailable());
                }
            }
            j.put("unavailable", unavailable);
            j.putAll(report);
            out.println(ResultJson.write(j));
            return;
        }
        for (Metric m : metrics) {
            out.println(m.available() ? String.format(Locale.ROOT, "%-26s %.6f", m.name(), m.value())
                    : String.format(Locale.ROOT, "%-26s unavailable: %s", m.name(), m.unavailable()));
        }
        for (Map.Entry<String, Object> e : report.entrySet()) {
            if (e.getValue() instanceof String || e.getValue() instanceof Boolean) {
                out.printf(Locale.ROOT, "%-26s %s%n", e.getKey(), e.getValue());
            }
        }
    }
}
