package dev.renderloop.cli;

import dev.renderloop.bench.SuiteSource;
import dev.renderloop.render.ManimMode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.score.Picture;
import dev.renderloop.score.Ssim;
import dev.renderloop.score.VideoSimilarity;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop perf reward --suite manimbench:PATH --group G}: the Manim rewards of G candidates of one task.
 * The task is the suite's first animated scene; its G candidates are the next G animated scenes' code (as a policy
 * might sample them: different programs, some far from the reference). Published way, one candidate after the
 * other: a {@code manim -ql} CLI render, the mp4 decoded and every 3rd frame kept (Python, PyAV), then the paper's
 * SSIM part in Python ({@code vs_reference.py}: scikit-image per frame pair). This project: the warm pool in reward
 * mode and {@link VideoSimilarity}, all G in parallel. The references are rendered once, untimed, on both sides.
 */
@Command(name = "reward", description = "Manim rewards/min for a group of G candidates: published (CLI + Python VS) vs. this project.")
final class PerfRewardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", required = true, paramLabel = "manimbench:PATH", description = "The ManimBench JSONL or parquet.")
    String suite;

    @Option(names = "--group", paramLabel = "G", description = "Candidates per task (default: ${DEFAULT-VALUE}, as GRPO in the paper).")
    int group = 8;

    @Option(names = "--reference-python", paramLabel = "PATH",
            description = "Interpreter with scikit-image and OpenCV for the published VS (default: ${DEFAULT-VALUE}).")
    Path referencePython = Path.of("/usr/bin/python3");

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (group < 1 || group > 64) {
            err.println("renderloop perf reward: --group must be in 1..64, got " + group);
            return ExitCode.USAGE;
        }
        if (!suite.startsWith("manimbench:")) {
            err.println("renderloop perf reward: --suite takes manimbench:PATH, got " + suite);
            return ExitCode.USAGE;
        }
        List<Task> animated;
        try {
            animated = SuiteSource.load(suite, null, null, null).tasks().stream()
                    .filter(t -> t.code().contains("self.play(")).toList();
        } catch (IllegalArgumentException e) {
            err.println("renderloop perf reward: " + e.getMessage());
            return ExitCode.USAGE;
        }
        if (animated.size() < group + 1) {
            err.println("renderloop perf reward: the suite has " + animated.size() + " animated scenes; --group " + group + " needs " + (group + 1));
            return ExitCode.USAGE;
        }
        Task task = animated.getFirst();
        List<Task> candidates = animated.subList(1, group + 1);
        Path python = engineOptions.python != null ? engineOptions.python : RenderEngine.defaultPython();
        engineOptions.noCache = true;
        Path scratch = Files.createTempDirectory(Files.createDirectories(engineOptions.scratchDir()), "renderloop-perf-reward-");
        try (RenderEngine engine = engineOptions.builder().workers(2).build()) {
            if (!engine.availability("manim").available()) {
                out.println("perf reward: manim unavailable: " + engine.availability("manim").detail());
                return ExitCode.UNAVAILABLE;
            }
            out.printf("perf reward: task %s, %d candidates (the next animated scenes' code), %d cores; SSIM kernel %s%n",
                    task.id(), group, Runtime.getRuntime().availableProcessors(), Ssim.kernel());
            Path script = scratch.resolve("vs_reference.py");
            try (InputStream in = Objects.requireNonNull(VideoSimilarity.class.getResourceAsStream("python/vs_reference.py"))) {
                Files.write(script, in.readAllBytes());
            }
            // Published way: the reference's frames once, then per candidate render + decode + VS, one after the other.
            Path refFrames = publishedFrames(python, task, scratch, new long[3]);
            if (refFrames == null) {
                out.println("perf reward: the reference does not render with the CLI");
                return ExitCode.RENDER_FAILED;
            }
            long[] split = new long[3];
            long start = System.nanoTime();
            int publishedOk = 0;
            for (Task c : candidates) {
                Path frames = publishedFrames(python, c, scratch, split);
                long t = System.nanoTime();
                publishedOk += frames != null && pythonVs(script, refFrames, frames, scratch) ? 1 : 0;
                split[2] += System.nanoTime() - t;
            }
            double published = (System.nanoTime() - start) / 1e9;
            out.printf("  published (CLI render, decode, Python VS, sequential): %d/%d scored in %6.1f s -> %5.1f rewards/min;"
                            + " render %.1f s, decode %.1f s, VS %.1f s%n", publishedOk, group, published, 60 * group / published,
                    split[0] / 1e9, split[1] / 1e9, split[2] / 1e9);
            out.flush();
            // This project: reward-mode renders on the warm pool and VS, all candidates in parallel.
            RenderSettings settings = RenderSettings.MANIM_DEFAULTS.withManimMode(ManimMode.REWARD);
            engine.warmUp("manim", 2);
            RenderResult ref = engine.render(new RenderRequest("manim", task.code(), settings));
            List<Picture> refPictures = read(ref.frames());
            AtomicLong renderNanos = new AtomicLong();
            AtomicLong vsNanos = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            int oursOk = 0;
            long oursStart = System.nanoTime();
            try (VideoSimilarity vs = VideoSimilarity.builder().threads(1).build()) {
                List<Future<Boolean>> futures = new ArrayList<>();
                for (Task c : candidates) {
                    futures.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        RenderResult r = engine.render(new RenderRequest("manim", c.code(), settings));
                        long t1 = System.nanoTime();
                        renderNanos.addAndGet(t1 - t0);
                        if (!r.ok()) {
                            return false;
                        }
                        vs.compare(refPictures, read(r.frames()));
                        vsNanos.addAndGet(System.nanoTime() - t1);
                        return true;
                    }));
                }
                for (Future<Boolean> f : futures) {
                    oursOk += f.get() ? 1 : 0;
                }
            } finally {
                pool.shutdownNow();
            }
            double ours = (System.nanoTime() - oursStart) / 1e9;
            out.printf("  this project (warm reward-mode renders + VS, 2 at a time):  %d/%d scored in %6.1f s -> %5.1f rewards/min;"
                            + " render %.1f s, frames read + VS %.1f s (summed over candidates)%n", oursOk, group, ours, 60 * group / ours,
                    renderNanos.get() / 1e9, vsNanos.get() / 1e9);
            out.printf("  ratio: %.2fx rewards/min%n", published / ours);
            return oursOk == publishedOk ? ExitCode.OK : ExitCode.RENDER_FAILED;
        } finally {
            ScratchTree.delete(scratch);
        }
    }

    private static List<Picture> read(List<Path> frames) throws IOException {
        List<Picture> pictures = new ArrayList<>();
        for (Path f : frames) {
            pictures.add(Picture.read(f));
        }
        return pictures;
    }

    /** manim -ql, then the video's every 3rd frame (or the still) as PNGs; split[0] += render, split[1] += decode. */
    private Path publishedFrames(Path python, Task task, Path scratch, long[] split) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(scratch, "cli");
        Path file = Files.writeString(dir.resolve("scene.py"), task.code());
        long t0 = System.nanoTime();
        boolean ok = run(dir, List.of(python.toString(), "-m", "manim", "render", "-ql", "--format=mp4", "--disable_caching",
                "--media_dir", dir.resolve("media").toString(), file.toString()));
        long t1 = System.nanoTime();
        split[0] += t1 - t0;
        if (!ok) {
            return null;
        }
        Path frames = Files.createDirectories(dir.resolve("frames"));
        String decode = String.join("\n",
                "import sys, glob, shutil, av",
                "media, out = sys.argv[1], sys.argv[2]",
                "movies = sorted(p for p in glob.glob(media + '/videos/**/*.mp4', recursive=True) if 'partial_movie_files' not in p)",
                "if movies:",
                "    with av.open(movies[0]) as c:",
                "        s = c.streams.video[0]; step = max(1, int(float(s.average_rate) / 5))",
                "        for i, f in enumerate(c.decode(s)):",
                "            if i % step == 0: f.to_image().save('%s/%05d.png' % (out, i))",
                "else:",
                "    shutil.copy(sorted(glob.glob(media + '/images/**/*.png', recursive=True))[-1], out + '/00000.png')");
        ok = run(dir, List.of(python.toString(), "-c", decode, dir.resolve("media").toString(), frames.toString()));
        split[1] += System.nanoTime() - t1;
        return ok ? frames : null;
    }

    private boolean pythonVs(Path script, Path ref, Path cand, Path scratch) throws IOException, InterruptedException {
        return run(scratch, List.of(referencePython.toString(), script.toString(), "video", ref.toString(), cand.toString()));
    }

    private static boolean run(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log-" + System.nanoTime() + ".txt").toFile()).start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return false;
        }
        return p.exitValue() == 0;
    }
}
