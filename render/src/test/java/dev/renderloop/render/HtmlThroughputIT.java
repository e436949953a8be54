package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders per second of the warm browser against a fresh browser per render, on the bundled html
 * suite, same pages, same run. A measurement, not a timed test: it asserts only that everything
 * rendered, and prints the figures. Off unless asked for:
 *
 * <pre>
 * ./mvnw -q -B verify -pl render -Dit.test=HtmlThroughputIT -Dfailsafe.failIfNoSpecifiedTests=false \
 *     -Drenderloop.perf=true [-Drenderloop.perf.jobs=1] [-Drenderloop.perf.repeat=2] [-Drenderloop.perf.spares=1]
 * </pre>
 *
 * <p>Each way renders every page {@code repeat} times, {@code jobs} at a time:
 * <ol>
 *   <li><b>fresh one-shot</b> (the published approach): a new {@code chromium --headless --screenshot}
 *       process per page, with a fresh profile, the page read from a file, unsandboxed; with Debian's
 *       chromium, and again with the warm renderer's binary when that is the headless shell;</li>
 *   <li><b>fresh renderer</b>: this renderer with a new browser per render (start, render, close), so
 *       the difference to the warm figure is the browser start alone;</li>
 *   <li><b>warm</b>: one renderer, its browser started by an untimed warm-up render.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "renderloop.perf", matches = "true")
class HtmlThroughputIT {
    @TempDir
    Path out;

    @Test
    void warmBrowser_versusFreshBrowserPerRender() throws Exception {
        int jobs = Integer.getInteger("renderloop.perf.jobs", 1);
        int repeat = Integer.getInteger("renderloop.perf.repeat", 2);
        int spares = Integer.getInteger("renderloop.perf.spares", 1);
        List<HtmlSuiteIT.Task> tasks = HtmlSuiteIT.tasks();
        List<String> pages = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            tasks.forEach(t -> pages.add(t.code()));
        }
        Path binary;
        try (ChromiumRenderer probe = new ChromiumRenderer()) {
            Assumptions.assumeTrue(probe.availability().available(), probe.availability().detail());
            binary = ChromiumRenderer.executableBehind(ChromiumRenderer.locate());
        }
        // The published approach runs the browser itself (Debian: chromium); the warm renderer may use the headless shell.
        Path fullBrowser = Files.isExecutable(Path.of("/usr/bin/chromium"))
                ? ChromiumRenderer.executableBehind(Path.of("/usr/bin/chromium")) : binary;
        List<String> flags = new ChromiumRenderer().flags();

        double oneShot = measure(pages, jobs, (page, dir) -> oneShotScreenshot(fullBrowser, flags, page, dir));
        double oneShotSame = binary.equals(fullBrowser) ? oneShot
                : measure(pages, jobs, (page, dir) -> oneShotScreenshot(binary, flags, page, dir));

        // The sandbox probe is done once, as an engine would; each fresh renderer still probes the browser's version.
        Sandbox sandbox = Sandbox.detect(!"limits".equals(System.getenv("RENDERLOOP_SANDBOX")));
        double freshRenderer = measure(pages, jobs, (page, dir) -> {
            try (ChromiumRenderer fresh = new ChromiumRenderer(ChromiumRenderer.Options.defaults().withSandbox(sandbox))) {
                return fresh.render(new RenderRequest("html", page, RenderSettings.HTML_DEFAULTS), dir).ok();
            }
        });

        double warm;
        long warmUpMillis;
        try (ChromiumRenderer renderer = new ChromiumRenderer(ChromiumRenderer.Options.defaults()
                .withSandbox(sandbox).withMaxConcurrentJobs(jobs).withSparePages(spares))) {
            long t0 = System.nanoTime();
            assertTrue(renderer.render(new RenderRequest("html", "<p>warm-up</p>", RenderSettings.HTML_DEFAULTS),
                    Files.createTempDirectory(out, "warm-up")).ok());
            warmUpMillis = (System.nanoTime() - t0) / 1_000_000;
            warm = measure(pages, jobs, (page, dir) ->
                    renderer.render(new RenderRequest("html", page, RenderSettings.HTML_DEFAULTS), dir).ok());
        }

        System.out.printf(Locale.ROOT, "%nhtml throughput: %d pages x %d, %d at a time, %d spare page(s), %d cores; warm browser %s%n",
                tasks.size(), repeat, jobs, spares, Runtime.getRuntime().availableProcessors(), binary);
        System.out.printf(Locale.ROOT, "  fresh one-shot --screenshot per page (%s): %6.2f renders/s%n", fullBrowser.getFileName(), oneShot);
        if (!binary.equals(fullBrowser)) {
            System.out.printf(Locale.ROOT, "  fresh one-shot --screenshot per page (%s): %6.2f renders/s%n", binary.getFileName(), oneShotSame);
        }
        System.out.printf(Locale.ROOT, "  fresh browser per render (this renderer): %6.2f renders/s%n", freshRenderer);
        System.out.printf(Locale.ROOT, "  warm browser (this renderer):             %6.2f renders/s (warm-up render %d ms, untimed)%n",
                warm, warmUpMillis);
        System.out.printf(Locale.ROOT, "  ratios: warm / one-shot %s %.2fx", fullBrowser.getFileName(), warm / oneShot);
        if (!binary.equals(fullBrowser)) {
            System.out.printf(Locale.ROOT, ", warm / one-shot %s %.2fx", binary.getFileName(), warm / oneShotSame);
        }
        System.out.printf(Locale.ROOT, ", warm / fresh renderer %.2fx%n", warm / freshRenderer);
    }

    interface Render {
        boolean run(String page, Path dir) throws Exception;
    }

    /** Renders every page, {@code jobs} at a time; returns renders per second and fails if any did not render. */
    double measure(List<String> pages, int jobs, Render render) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            long start = System.nanoTime();
            List<Future<Boolean>> results = new ArrayList<>();
            for (String page : pages) {
                Path dir = Files.createTempDirectory(out, "r");
                results.add(pool.submit(() -> render.run(page, dir)));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get(), "a page did not render");
            }
            return pages.size() / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    /** One {@code chromium --headless --screenshot} process for one page, with a fresh profile. */
    static boolean oneShotScreenshot(Path binary, List<String> flags, String page, Path dir) throws Exception {
        Path html = Files.writeString(dir.resolve("page.html"), page);
        Path png = dir.resolve("page.png");
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        // Same isolation flags as the warm browser, minus the heap cap (irrelevant for one page).
        flags.stream().filter(f -> !f.startsWith("--js-flags")).forEach(command::add);
        command.add("--user-data-dir=" + Files.createDirectory(dir.resolve("profile")));
        command.add("--window-size=1280,800");
        command.add("--screenshot=" + png);
        command.add(html.toUri().toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            ProcessTree.kill(p.toHandle(), java.time.Duration.ofSeconds(1));
            return false;
        }
        return p.exitValue() == 0 && Files.size(png) > 0;
    }
}
