package dev.renderloop.cli;

import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.render.Renderer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code renderloop perf render --domain D [--jobs N]}: renders the bundled programs (a) with one
 * fresh interpreter per program, as the published systems do (matplotlib: a script that imports
 * matplotlib and runs the program with savefig redirected; Manim: the {@code manim -ql} CLI), and
 * (b) through the warm, sandboxed worker pool with the cache off, both with N renders at a time, and
 * prints renders/s for both and their ratio. For svg and smiles the fresh side is a new renderer per
 * render; for html a new headless browser per page taking one screenshot. Pool start-up is reported
 * separately: it is paid once per engine, not per render.
 */
@Command(name = "render", description = "Renders/s of fresh-interpreter-per-program (published) vs. the warm pool.")
final class PerfRenderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--domain", required = true, description = "matplotlib, manim, rdkit, tikz, svg, smiles or html.")
    String domain;

    @Option(names = "--jobs", paramLabel = "N", description = "Renders at a time, for both approaches (default: ${DEFAULT-VALUE}).")
    int jobs = 2;

    @Option(names = "--repeat", paramLabel = "R", description = "Render each bundled program R times (default: ${DEFAULT-VALUE}).")
    int repeat = 3;

    @Option(names = "--pause-ms", paramLabel = "MS",
            description = "Pause between one worker thread's renders, as an agent loop waiting on a model does (default: 0, saturated).")
    long pauseMillis;

    @Option(names = "--only", paramLabel = "GLOB", description = "Only the bundled programs whose file name matches, e.g. 'still_*'.")
    String only;

    @Option(names = "--suite", arity = "0..1", fallbackValue = "bundled", paramLabel = "SPEC",
            description = "Render the bundled suite's reference programs instead of the domain's examples; with "
                    + "manimbench:PATH (--domain manim), ManimBench's reference scenes: the per-sample manim -ql CLI vs. the "
                    + "warm pool in the published and the reward mode, at 1 and 2 renders at a time, with the time split per render.")
    String suite;

    @Option(names = "--limit", paramLabel = "N", description = "With --suite manimbench:PATH: the first N scenes (default: all).")
    Integer limit;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (jobs < 1 || repeat < 1 || pauseMillis < 0) {
            spec.commandLine().getErr().println("renderloop perf render: --jobs and --repeat must be >= 1, --pause-ms >= 0");
            return ExitCode.USAGE;
        }
        if (limit != null && limit < 1) {
            spec.commandLine().getErr().println("renderloop perf render: --limit must be >= 1, got " + limit);
            return ExitCode.USAGE;
        }
        if (suite != null && suite.startsWith("manimbench:")) {
            if (!domain.equals("manim")) {
                spec.commandLine().getErr().println("renderloop perf render: --suite manimbench:PATH needs --domain manim");
                return ExitCode.USAGE;
            }
            List<ExampleProgram> scenes;
            try {
                scenes = dev.renderloop.bench.SuiteSource.load(suite, null, null, limit).tasks().stream()
                        .map(t -> new ExampleProgram("manim", t.id() + ".py", t.code())).toList();
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("renderloop perf render: " + e.getMessage());
                return ExitCode.USAGE;
            }
            return new ManimModes(this, out).run(scenes, spec.commandLine().getParseResult().hasMatchedOption("--jobs")
                    ? List.of(jobs) : List.of(1, 2));
        }
        if (suite != null && !suite.equals("bundled")) {
            spec.commandLine().getErr().println("renderloop perf render: --suite takes no value or manimbench:PATH, got " + suite);
            return ExitCode.USAGE;
        }
        List<ExampleProgram> programs = suite != null ? ExampleProgram.suite(domain) : ExampleProgram.forDomain(domain);
        if (only != null) {
            var matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + only);
            programs = programs.stream().filter(p -> matcher.matches(Path.of(p.name()))).toList();
        }
        if (programs.isEmpty()) {
            spec.commandLine().getErr().println("renderloop perf render: no bundled programs for domain '" + domain + "'"
                    + (only == null ? "" : " matching '" + only + "'") + " (domains with programs: matplotlib, rdkit, manim, tikz and the bundled suites)");
            return ExitCode.USAGE;
        }
        List<ExampleProgram> work = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            work.addAll(programs);
        }
        engineOptions.noCache = true;
        RenderSettings settings = RenderSettings.defaultsFor(domain);
        try (RenderEngine engine = engineOptions.builder().workers(jobs).build()) {
            Renderer.Availability availability = engine.availability(domain);
            if (!availability.available()) {
                out.printf("perf render: %s unavailable: %s%n", domain, availability.detail());
                return ExitCode.UNAVAILABLE;
            }
            out.printf("perf render: %s (%s), %d renders (%d programs x %d), %d at a time, %d cores%n",
                    domain, availability.detail(), work.size(), programs.size(), repeat, jobs,
                    Runtime.getRuntime().availableProcessors());
            if (!List.of("svg", "smiles").contains(domain)) {  // in-process renderers run in the JVM itself
                out.println("sandbox (warm side only): " + engine.sandboxDescription());
            }
            out.flush();
            Path python = engineOptions.python != null ? engineOptions.python : RenderEngine.defaultPython();
            // The published side's files go where the warm side's do: same file system, same costs.
            Path scratch = Files.createTempDirectory(Files.createDirectories(engineOptions.scratchDir()), "renderloop-perf-");
            boolean pythonWorker = List.of("matplotlib", "manim", "rdkit", "tikz").contains(domain);
            try {
                double freshCpu = treeCpuSeconds();
                Measurement fresh = measure(work, p -> freshRender(python, p, settings, scratch));
                freshCpu = treeCpuSeconds() - freshCpu;
                String freshLabel = pythonWorker ? "fresh interpreter per program (published):"
                        : domain.equals("html") ? "fresh browser per page (published):       " : "fresh renderer per render (published):    ";
                out.printf("  %s %3d/%d ok in %6.2f s -> %6.2f renders/s, %7.1f ms mean latency%n",
                        freshLabel, fresh.ok, work.size(), fresh.seconds, fresh.rate(), fresh.meanLatencyMillis());
                out.flush();  // printed as each side ends, so that outside tools can tell the phases apart
                long warmStart = System.nanoTime();
                engine.warmUp(domain, jobs);
                // One render per worker before the clock starts, counted in the start: class loading and
                // the JIT on the engine's path, a browser's first page, a worker's first job.
                measure(work.subList(0, Math.min(jobs, work.size())),
                        p -> engine.render(new RenderRequest(domain, p.code(), settings)).ok());
                double startup = (System.nanoTime() - warmStart) / 1e9;
                List<RenderResult> warmResults = java.util.Collections.synchronizedList(new ArrayList<>());
                double warmCpu = treeCpuSeconds();
                double warmJvmCpu = jvmCpuSeconds();
                Measurement warm = measure(work, p -> {
                    RenderResult r = engine.render(new RenderRequest(domain, p.code(), settings));
                    warmResults.add(r);
                    return r.ok();
                });
                warmCpu = treeCpuSeconds() - warmCpu;
                warmJvmCpu = jvmCpuSeconds() - warmJvmCpu;
                String warmLabel = pythonWorker ? "warm pool, sandboxed, fork per job:       " : "warm renderer, reused:                    ";
                out.printf("  %s %3d/%d ok in %6.2f s -> %6.2f renders/s, %7.1f ms mean latency (start %.2f s, once)%n",
                        warmLabel, warm.ok, work.size(), warm.seconds, warm.rate(), warm.meanLatencyMillis(), startup);
                if (pauseMillis == 0) {
                    out.printf("  ratio warm / fresh: %.2fx (%.2fx counting pool start)%n", warm.rate() / fresh.rate(),
                            (work.size() / (warm.seconds + startup)) / fresh.rate());
                } else {
                    // With pauses the wall time is mostly sleeping: compare what a caller waits for.
                    out.printf("  latency ratio fresh / warm with %d ms pauses: %.2fx%n", pauseMillis,
                            fresh.meanLatencyMillis() / warm.meanLatencyMillis());
                }
                if (warmCpu > 0 && freshCpu > 0) {
                    // On saturated cores this ratio is what throughput converges to.
                    out.printf("  CPU per render (this JVM and every process under it): fresh %.1f ms, warm %.1f ms"
                                    + " (%.1f ms of it in this JVM), ratio %.2fx%n", 1000 * freshCpu / work.size(),
                            1000 * warmCpu / work.size(), 1000 * warmJvmCpu / work.size(), freshCpu / warmCpu);
                }
                printStages(out, warmResults);
                printFailures(out, warmResults);
                out.printf("  render cache hit: %.2f ms mean over %d hits%n", cacheHitMillis(work, settings, scratch), work.size());
                return fresh.ok == work.size() && warm.ok == work.size() ? ExitCode.OK : ExitCode.RENDER_FAILED;
            } finally {
                ScratchTree.delete(scratch);
            }
        }
    }

    /** The warm side's failures, by error kind, with the first error text of each: a failed render is never silent. */
    static void printFailures(PrintWriter out, List<RenderResult> results) {
        Map<String, List<RenderResult>> failed = new java.util.TreeMap<>();
        for (RenderResult r : results) {
            if (!r.ok()) {
                failed.computeIfAbsent(String.valueOf(r.errorKind()), k -> new ArrayList<>()).add(r);
            }
        }
        failed.forEach((kind, rs) -> {
            String error = rs.getFirst().error();
            out.printf("  warm failures: %d x %s, first: %s%n", rs.size(), kind,
                    error.length() > 300 ? error.substring(0, 300) + "..." : error);
        });
    }

    /**
     * Where a warm render's time goes, from what the renderer reports: medians of the caller's
     * latency, of the job inside the worker, and of every {@code *_ms} stage in the results'
     * details; and how often each path of the tikz driver was taken ({@code format}: how the document was
     * typeset, {@code raster}: how the page was rasterised, {@code job}: in the worker parent or a job child).
     */
    static void printStages(PrintWriter out, List<RenderResult> results) {
        List<RenderResult> ok = results.stream().filter(RenderResult::ok).toList();
        if (ok.isEmpty()) {
            return;
        }
        StringBuilder line = new StringBuilder(String.format("  warm stages, median ms: caller %.1f, worker job %.1f",
                median(ok.stream().map(r -> (double) r.millis()).toList()),
                median(ok.stream().map(r -> (double) r.renderMillis()).toList())));
        java.util.TreeSet<String> stages = new java.util.TreeSet<>();
        ok.forEach(r -> r.details().keySet().stream().filter(k -> k.endsWith("_ms")).forEach(stages::add));
        for (String stage : stages) {
            List<Double> values = ok.stream().map(r -> r.details().get(stage)).filter(Objects::nonNull).map(Double::parseDouble).toList();
            line.append(String.format(", %s %.1f", stage.substring(0, stage.length() - 3), median(values)));
        }
        out.println(line);
        // Medians say what a typical render pays; the totals say where the run's time went (a few
        // long scenes can hold most of it).
        StringBuilder totals = new StringBuilder(String.format("  warm stages, total s: caller %.2f, worker job %.2f",
                ok.stream().mapToDouble(RenderResult::millis).sum() / 1e3,
                ok.stream().mapToDouble(RenderResult::renderMillis).sum() / 1e3));
        for (String stage : stages) {
            double sum = ok.stream().map(r -> r.details().get(stage)).filter(Objects::nonNull).mapToDouble(Double::parseDouble).sum();
            totals.append(String.format(", %s %.2f", stage.substring(0, stage.length() - 3), sum / 1e3));
        }
        out.println(totals);
        StringBuilder paths = new StringBuilder();
        for (String key : List.of("format", "raster", "job")) {
            java.util.Map<String, Long> counts = new java.util.TreeMap<>(ok.stream().filter(r -> r.details().containsKey(key))
                    .collect(java.util.stream.Collectors.groupingBy(r -> r.details().get(key), java.util.stream.Collectors.counting())));
            if (!counts.isEmpty()) {
                paths.append(paths.isEmpty() ? "" : ", ").append(key).append(' ').append(counts);
            }
        }
        if (!paths.isEmpty()) {
            out.println("  warm path taken: " + paths + " of " + ok.size());
        }
    }

    /**
     * CPU seconds used so far by this JVM and every live process under it, each with the children it
     * has reaped (utime + stime + cutime + cstime from /proc); 0 where /proc cannot be read. A process
     * that ended and was reaped within the tree is counted in its reaper.
     */
    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }

    static double treeCpuSeconds() {
        List<Long> pids = new ArrayList<>();
        pids.add(ProcessHandle.current().pid());
        ProcessHandle.current().descendants().forEach(p -> pids.add(p.pid()));
        return cpuTicks(pids) / 100.0;  // USER_HZ is 100 on Linux
    }

    /** The CPU time of these processes, each with the children it has reaped, in clock ticks (as treeCpuSeconds). */
    static long cpuTicks(List<Long> pids) {
        long ticks = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // Fields 14-17 of proc(5), counted from the state (field 3) at index 0.
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            } catch (IOException | RuntimeException e) {
                // gone meanwhile, or no /proc: its time is in its reaper's, or nothing is counted
            }
        }
        return ticks;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Mean time of a cache hit in a warm engine: every program rendered once, then looked up again. */
    private double cacheHitMillis(List<ExampleProgram> work, RenderSettings settings, Path scratch) throws IOException {
        EngineOptions cached = engineOptions;
        RenderEngine.Builder builder = cached.builder().cacheDir(Files.createDirectories(scratch.resolve("cache"))).workers(jobs);
        try (RenderEngine engine = builder.build()) {
            for (ExampleProgram p : work) {
                engine.render(new RenderRequest(domain, p.code(), settings));
            }
            long start = System.nanoTime();
            int hits = 0;
            for (ExampleProgram p : work) {
                hits += engine.render(new RenderRequest(domain, p.code(), settings)).cached() ? 1 : 0;
            }
            double mean = (System.nanoTime() - start) / 1e6 / work.size();
            if (hits != work.size()) {
                throw new IllegalStateException("expected " + work.size() + " cache hits, got " + hits);
            }
            return mean;
        }
    }

    record Measurement(int ok, double seconds, double meanLatencyMillis) {
        double rate() {
            return ok / seconds;
        }
    }

    Measurement measure(List<ExampleProgram> work, Function<ExampleProgram, Boolean> render) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            long start = System.nanoTime();
            java.util.concurrent.atomic.AtomicLong latencyNanos = new java.util.concurrent.atomic.AtomicLong();
            List<Future<Boolean>> futures = new ArrayList<>();
            for (ExampleProgram p : work) {
                futures.add(pool.submit(() -> {
                    long t = System.nanoTime();
                    boolean ok = render.apply(p);
                    latencyNanos.addAndGet(System.nanoTime() - t);
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Boolean> f : futures) {
                ok += f.get() ? 1 : 0;
            }
            return new Measurement(ok, (System.nanoTime() - start) / 1e9, latencyNanos.get() / 1e6 / work.size());
        } finally {
            pool.shutdownNow();
        }
    }

    boolean freshRender(Path python, ExampleProgram program, RenderSettings s, Path scratch) {
        if (domain.equals("html")) {
            return freshBrowserScreenshot(program, s, scratch);
        }
        if (!List.of("matplotlib", "manim", "rdkit", "tikz").contains(domain)) {
            // In-process and browser renderers: a new renderer for every render (for html a new
            // browser), as the published code creates a new pool or browser per call.
            try (RenderEngine fresh = engineOptions.builder().noCache().workers(1).build()) {
                return fresh.render(new RenderRequest(domain, program.code(), s)).ok();
            }
        }
        try {
            Path dir = Files.createTempDirectory(scratch, "job");
            Path file = Files.writeString(dir.resolve(program.name()), program.code());
            List<String> cmd = switch (domain) {
                case "matplotlib" -> List.of(python.toString(), script(scratch, "matplotlib_fresh.py").toString(),
                        file.toString(), dir.resolve("out.png").toString(),
                        Integer.toString(s.width()), Integer.toString(s.height()), Integer.toString(s.dpi()));
                case "manim" -> List.of(python.toString(), "-m", "manim", "render", "-ql", "--format=mp4",
                        "--disable_caching", "--media_dir", dir.resolve("media").toString(), file.toString());
                case "rdkit" -> List.of(python.toString(), file.toString());
                case "tikz" -> {
                    // As published: pdflatex on the whole document, then the first page at 300 dpi.
                    Files.writeString(file, program.code().contains("\\documentclass") ? program.code()
                            : "\\documentclass[border=2pt]{standalone}\n\\usepackage{tikz}\n\\begin{document}\n"
                            + program.code() + "\n\\end{document}\n");
                    yield List.of("sh", "-c", "pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error \"$1\" >/dev/null"
                            + " && pdftoppm -r " + s.dpi() + " -png -singlefile -f 1 -l 1 \"${1%.tex}.pdf\" out", "sh", file.toString());
                }
                default -> throw new IllegalArgumentException(domain);
            };
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("log.txt").toFile());
            if (!engineOptions.pythonPath.isEmpty()) {
                pb.environment().put("PYTHONPATH", String.join(":", engineOptions.pythonPath.stream().map(Path::toString).toList()));
            }
            Process p = pb.start();
            if (!p.waitFor(s.timeout().toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The published approach for web pages: a new headless browser per page (the same binary the
     * warm renderer uses), one screenshot, exit; unsandboxed, no DevTools session.
     */
    private boolean freshBrowserScreenshot(ExampleProgram program, RenderSettings s, Path scratch) {
        String env = System.getenv("RENDERLOOP_CHROMIUM");
        Path shell = Path.of("/usr/lib/chromium/chromium-headless-shell");
        String browser = env != null && !env.isBlank() ? env : Files.isExecutable(shell) ? shell.toString() : "chromium";
        try {
            Path dir = Files.createTempDirectory(scratch, "page");
            Path page = Files.writeString(dir.resolve("page.html"), program.code());
            Process p = new ProcessBuilder(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", "--user-data-dir=" + dir.resolve("profile"),
                    "--window-size=" + s.width() + "," + s.height(), "--screenshot=" + dir.resolve("shot.png"),
                    page.toUri().toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
            if (!p.waitFor(s.timeout().toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0 && Files.size(dir.resolve("shot.png")) > 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static synchronized Path script(Path scratch, String name) throws IOException {
        Path target = scratch.resolve(name);
        if (!Files.exists(target)) {
            try (InputStream in = Objects.requireNonNull(PerfRenderCommand.class.getResourceAsStream("published/" + name))) {
                Files.write(target, in.readAllBytes());
            }
        }
        return target;
    }
}
