package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Ssim;
import dev.renderloop.score.SyntheticFrames;
import dev.renderloop.score.TiledReward;
import dev.renderloop.score.TiledScore;
import dev.renderloop.score.VideoScore;
import dev.renderloop.score.VideoSimilarity;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop perf score [--frames N] [--size WxH] [--python PATH] [--skip-reference]}: times this project's visual
 * metrics against the published Python stack on the same seeded inputs: two N-frame 854x480 (or WxH) videos of moving
 * shapes (N = 50 is 10 s at the 5 fps VS samples) and a 1024x768 image pair. Ours: {@link VideoSimilarity}
 * (paper and corrected SSIM parts, exact DTW, no CLIP model) and the weight-free {@link TiledReward}. Reference:
 * {@code score/python/vs_reference.py} (shipped in the score jar) under Debian's Python with scikit-image and
 * OpenCV: scikit-image SSIM for every frame pair, then fastdtw when importable (as published) and exact DTW.
 * Prints both timings, the speed-up and both values with their absolute difference.
 */
@Command(name = "score", description = "Visual metrics (VS SSIM part, tiled reward) vs. the published Python stack.")
final class PerfScoreCommand implements Callable<Integer> {
    private static final int WIDTH = 854;   // manim -ql
    private static final int HEIGHT = 480;
    private static final double TOLERANCE = 1e-4;

    @Spec
    CommandSpec spec;

    @Option(names = "--frames", paramLabel = "N", description = "Frames per video (default: ${DEFAULT-VALUE}, 10 s at 5 fps).")
    int frames = 50;

    @Option(names = "--size", paramLabel = "WxH",
            description = "Frame size of the two videos (default: ${DEFAULT-VALUE}, manim -ql; 1280x720 is -qm).")
    String size = WIDTH + "x" + HEIGHT;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with numpy, opencv and scikit-image for the reference (default: ${DEFAULT-VALUE}).")
    Path python = Path.of("/usr/bin/python3");

    @Option(names = "--skip-reference", description = "Time this project's metrics only.")
    boolean skipReference;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (frames < 1) {
            spec.commandLine().getErr().println("renderloop perf score: --frames must be at least 1");
            return ExitCode.USAGE;
        }
        java.util.regex.Matcher wh = java.util.regex.Pattern.compile("(\\d{1,5})x(\\d{1,5})").matcher(size);
        if (!wh.matches() || Integer.parseInt(wh.group(1)) < 7 || Integer.parseInt(wh.group(2)) < 7
                || Integer.parseInt(wh.group(1)) * Integer.parseInt(wh.group(2)) > 4096 * 4096) {
            spec.commandLine().getErr().println("renderloop perf score: --size must be WxH, each at least 7 (SSIM's window), "
                    + "at most 4096x4096 pixels in all, got '" + size + "'");
            return ExitCode.USAGE;
        }
        int width = Integer.parseInt(wh.group(1));
        int height = Integer.parseInt(wh.group(2));
        List<Picture> reference = SyntheticFrames.video(new Random(11), frames, width, height);
        List<Picture> candidate = SyntheticFrames.video(new Random(12), frames, width, height);
        Picture target = SyntheticFrames.still(new Random(21), 0);
        Picture render = SyntheticFrames.still(new Random(21), 14);
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("perf score: two %d-frame %dx%d videos (%d SSIMs), one 1024x768 image pair; %d cores, Java %s, SSIM kernel %s%n",
                frames, width, height, frames * frames, cores, Runtime.version().feature(), Ssim.kernel());

        VideoScore ours;
        double oursSeconds;
        double oursWarmSeconds;
        try (VideoSimilarity vs = VideoSimilarity.builder().build()) {
            long t0 = System.nanoTime();
            ours = vs.compare(reference, candidate);
            oursSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            vs.compare(reference, candidate);
            oursWarmSeconds = (System.nanoTime() - t1) / 1e9;
        }
        TiledReward tiled = TiledReward.weightFree();
        long t2 = System.nanoTime();
        TiledScore oursTiled = tiled.score(target, render);
        double oursTiledSeconds = (System.nanoTime() - t2) / 1e9;
        double oursTiledWarmSeconds = Double.POSITIVE_INFINITY;
        for (int run = 0; run < 4; run++) {  // one image pair is quick: best of four warm runs
            long t3 = System.nanoTime();
            tiled.score(target, render);
            oursTiledWarmSeconds = Math.min(oursTiledWarmSeconds, (System.nanoTime() - t3) / 1e9);
        }
        // The first run includes JIT compilation; a reward server or trainer runs warm after its first call.
        out.printf("  renderloop VS, SSIM parts (paper + corrected, exact DTW): %7.3f s first run, %7.3f s second run%n",
                oursSeconds, oursWarmSeconds);
        out.printf("  renderloop tiled reward (%dx%d tiles + thumbnail, SSIM fallback): %7.3f s first run, %7.3f s warm (best of 4)%n",
                oursTiled.columns(), oursTiled.rows(), oursTiledSeconds, oursTiledWarmSeconds);
        if (skipReference) {
            printValues(out, ours, null, oursTiled, null);
            return ExitCode.OK;
        }

        Path scratch = Files.createTempDirectory("renderloop-perf-score-");
        try {
            Path script = extractScript(scratch);
            writeFrames(reference, Files.createDirectories(scratch.resolve("ref")));
            writeFrames(candidate, Files.createDirectories(scratch.resolve("cand")));
            ImageIO.write(target.toBufferedImage(), "png", scratch.resolve("target.png").toFile());
            ImageIO.write(render.toBufferedImage(), "png", scratch.resolve("render.png").toFile());
            Reference video = runReference(script, scratch, "video", scratch.resolve("ref"), scratch.resolve("cand"));
            if (video.error != null) {
                out.println("  reference unavailable: " + video.error);
                return ExitCode.UNAVAILABLE;
            }
            Reference image = runReference(script, scratch, "tiled", scratch.resolve("target.png"), scratch.resolve("render.png"));
            if (image.error != null) {
                out.println("  reference unavailable: " + image.error);
                return ExitCode.UNAVAILABLE;
            }
            double refSeconds = video.json.get("seconds").asDouble();
            double refTiledSeconds = image.json.get("seconds").asDouble();
            out.printf("  reference VS, SSIM part (skimage per pair, %s): %7.3f s compute, %7.3f s with start-up%n",
                    video.json.get("dtw").asText(), refSeconds, video.wallSeconds);
            out.printf("  reference tiled reward (skimage SSIM per tile): %7.3f s compute, %7.3f s with start-up%n",
                    refTiledSeconds, image.wallSeconds);
            out.printf("  speed-up VS: %.1fx (first run), %.1fx (second run); tiled: %.1fx (first run), %.1fx (warm)%n",
                    refSeconds / oursSeconds, refSeconds / oursWarmSeconds, refTiledSeconds / oursTiledSeconds,
                    refTiledSeconds / oursTiledWarmSeconds);
            double worst = printValues(out, ours, video.json, oursTiled, image.json);
            if (worst > TOLERANCE) {
                out.printf("  MISMATCH: largest |diff| %.3g exceeds %.0e%n", worst, TOLERANCE);
                return ExitCode.INTERNAL;
            }
            return ExitCode.OK;
        } finally {
            ScratchTree.delete(scratch);
        }
    }

    /** Prints our values and, when given, the reference's; returns the largest absolute difference. */
    private static double printValues(PrintWriter out, VideoScore ours, JsonNode ref, TiledScore oursTiled, JsonNode refTiled) {
        double worst = 0;
        for (String name : List.of("vs_paper_ssim", "vs_corrected_ssim", "mean_frame_ssim")) {
            double v = ours.metric(name).value();
            if (ref == null) {
                out.printf("  %-18s renderloop %.10f%n", name, v);
            } else {
                double r = ref.get(name).asDouble();
                worst = Math.max(worst, Math.abs(v - r));
                out.printf("  %-18s renderloop %.10f  reference %.10f  |diff| %.2e%n", name, v, r, Math.abs(v - r));
            }
        }
        if (ref != null && ref.has("vs_paper_ssim_fastdtw")) {
            out.printf("  %-18s reference with fastdtw (as published) %.10f%n", "vs_paper_ssim", ref.get("vs_paper_ssim_fastdtw").asDouble());
        }
        if (refTiled == null) {
            out.printf("  %-18s renderloop %.10f%n", "tiled", oursTiled.value());
        } else {
            double r = refTiled.get("tiled").asDouble();
            worst = Math.max(worst, Math.abs(oursTiled.value() - r));
            out.printf("  %-18s renderloop %.10f  reference %.10f  |diff| %.2e%n", "tiled", oursTiled.value(), r,
                    Math.abs(oursTiled.value() - r));
        }
        return worst;
    }

    private record Reference(JsonNode json, double wallSeconds, String error) {
    }

    private Reference runReference(Path script, Path scratch, String mode, Path a, Path b) throws IOException, InterruptedException {
        if (!Files.isExecutable(python)) {
            return new Reference(null, 0, "no Python at " + python + " (--python PATH, or --skip-reference)");
        }
        Path log = scratch.resolve(mode + ".err");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(python.toString(), script.toString(), mode, a.toString(), b.toString())
                .redirectError(log.toFile()).start();
        String stdout = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Reference(null, 0, "reference did not finish in 30 minutes");
        }
        double wall = (System.nanoTime() - start) / 1e9;
        if (p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log);
            return new Reference(null, wall, python + " exited " + p.exitValue() + ": "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
        }
        return new Reference(new ObjectMapper().readTree(stdout), wall, null);
    }

    private static Path extractScript(Path scratch) throws IOException {
        Path target = scratch.resolve("vs_reference.py");
        try (InputStream in = Objects.requireNonNull(VideoSimilarity.class.getResourceAsStream("python/vs_reference.py"),
                "vs_reference.py missing from the score jar")) {
            Files.write(target, in.readAllBytes());
        }
        return target;
    }

    private static void writeFrames(List<Picture> frames, Path dir) throws IOException {
        for (int i = 0; i < frames.size(); i++) {
            ImageIO.write(frames.get(i).toBufferedImage(), "png", dir.resolve(String.format("%04d.png", i)).toFile());
        }
    }
}
