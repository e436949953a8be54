package dev.renderloop.cli;

import dev.renderloop.render.ManimMode;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.render.Renderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code perf render --domain manim --suite manimbench:PATH}: the same ManimBench scenes rendered by the
 * per-sample {@code manim -ql} CLI (the published approach), and by the warm pool in {@link ManimMode#PUBLISHED}
 * and {@link ManimMode#REWARD} mode, at each concurrency, in one run; then where a warm render's time goes.
 */
final class ManimModes {
    private final PerfRenderCommand command;
    private final PrintWriter out;

    ManimModes(PerfRenderCommand command, PrintWriter out) {
        this.command = command;
        this.out = out;
    }

    int run(List<ExampleProgram> scenes, List<Integer> concurrencies) throws Exception {
        EngineOptions options = command.engineOptions;
        options.noCache = true;
        Path python = options.python != null ? options.python : RenderEngine.defaultPython();
        Path scratch = Files.createTempDirectory(Files.createDirectories(options.scratchDir()), "renderloop-perf-");
        boolean allOk = true;
        try (RenderEngine probe = options.builder().workers(1).build()) {
            Renderer.Availability availability = probe.availability("manim");
            if (!availability.available()) {
                out.printf("perf render: manim unavailable: %s%n", availability.detail());
                return ExitCode.UNAVAILABLE;
            }
            out.printf("perf render: manim (%s), %d ManimBench scenes, %d cores; sandbox (warm side): %s%n",
                    availability.detail(), scenes.size(), Runtime.getRuntime().availableProcessors(), probe.sandboxDescription());
        }
        out.printf("  import manim in a fresh interpreter (paid by every CLI render, once per warm worker): %.0f ms%n",
                importMillis(python, scratch));
        out.flush();
        try {
            for (int jobs : concurrencies) {
                command.jobs = jobs;
                RenderSettings published = RenderSettings.MANIM_DEFAULTS;
                PerfRenderCommand.Measurement cli = command.measure(scenes, p -> command.freshRender(python, p, published, scratch));
                out.printf("  %d at a time: manim -ql CLI per sample (published): %3d/%d ok in %6.2f s -> %5.1f renders/min%n",
                        jobs, cli.ok(), scenes.size(), cli.seconds(), 60 * cli.rate());
                out.flush();
                for (ManimMode mode : List.of(ManimMode.PUBLISHED, ManimMode.REWARD)) {
                    RenderSettings settings = published.withManimMode(mode);
                    try (RenderEngine engine = options.builder().noCache().workers(jobs).build()) {
                        engine.warmUp("manim", jobs);
                        List<RenderResult> results = Collections.synchronizedList(new ArrayList<>());
                        PerfRenderCommand.Measurement warm = command.measure(scenes, p -> {
                            RenderResult r = engine.render(new RenderRequest("manim", p.code(), settings));
                            results.add(r);
                            return r.ok();
                        });
                        out.printf("  %d at a time: warm pool, %-9s mode:            %3d/%d ok in %6.2f s -> %5.1f renders/min, %.2fx the CLI%n",
                                jobs, mode.wireName(), warm.ok(), scenes.size(), warm.seconds(), 60 * warm.rate(), warm.rate() / cli.rate());
                        PerfRenderCommand.printStages(out, results);
                        printOverheads(results);
                        PerfRenderCommand.printFailures(out, results);
                        out.flush();
                        allOk &= warm.ok() == cli.ok();
                    }
                }
            }
        } finally {
            ScratchTree.delete(scratch);
        }
        out.println("  stages: module = the scene file's top level, scene_init = Scene(), animate = construct() and the animation "
                + "updates, raster = Cairo drawing, encode = ffmpeg, png = frames written, decode = mp4 decoded and sampled");
        return allOk ? ExitCode.OK : ExitCode.RENDER_FAILED;
    }

    /** Medians of what the stages do not cover: sandbox and IPC (caller minus worker job) and the job's set-up in the worker. */
    private void printOverheads(List<RenderResult> results) {
        List<RenderResult> ok = results.stream().filter(RenderResult::ok).toList();
        if (ok.isEmpty()) {
            return;
        }
        List<Double> ipc = ok.stream().map(r -> (double) (r.millis() - r.renderMillis())).toList();
        List<Double> setup = ok.stream().map(r -> r.renderMillis() - r.details().entrySet().stream()
                .filter(e -> e.getKey().endsWith("_ms")).mapToDouble(e -> Double.parseDouble(e.getValue())).sum()).toList();
        out.printf("  sandbox and IPC (caller minus worker job) %.1f ms, job set-up in the worker (fork, namespaces, limits, result) %.1f ms, medians%n",
                PerfRenderCommand.median(ipc), PerfRenderCommand.median(setup));
    }

    /** Median wall time of {@code import manim} in a fresh interpreter, over three runs. */
    private static double importMillis(Path python, Path scratch) throws IOException, InterruptedException {
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            Process p = new ProcessBuilder(python.toString(), "-c", "import manim").directory(scratch.toFile())
                    .redirectErrorStream(true).redirectOutput(scratch.resolve("import.log").toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Double.NaN;
            }
            times.add((System.nanoTime() - start) / 1e6);
        }
        return PerfRenderCommand.median(times);
    }
}
