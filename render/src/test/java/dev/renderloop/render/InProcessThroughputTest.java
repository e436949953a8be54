package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-threaded renders per second of the in-process renderers over their bundled suites, printed,
 * not asserted (timings depend on the machine). Runs only on request:
 *
 * <pre>{@code
 * ./mvnw -q -B test -pl render -Dtest=InProcessThroughputTest -Drenderloop.throughput=true
 * }</pre>
 */
class InProcessThroughputTest {
    /** Measured renders per domain after one warm-up pass over the suite. */
    private static final double SECONDS = 5;

    @TempDir
    Path dir;

    @Test
    void svg_rendersPerSecond() throws Exception {
        measure("svg", new SvgRenderer());
    }

    @Test
    void smiles_rendersPerSecond() throws Exception {
        measure("smiles", new SmilesRenderer());
    }

    private void measure(String domain, Renderer renderer) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("renderloop.throughput"), "run with -Drenderloop.throughput=true");
        List<BundledSuites.Task> tasks = BundledSuites.load(domain);
        RenderSettings settings = RenderSettings.defaultsFor(domain);
        try (renderer) {
            int n = 0;
            for (BundledSuites.Task t : tasks) {  // warm-up: class loading, JIT, fonts
                assertTrue(renderer.render(new RenderRequest(domain, t.code(), settings), out(n++)).ok());
            }
            long start = System.nanoTime();
            long deadline = start + (long) (SECONDS * 1e9);
            int renders = 0;
            long drawMillis = 0;
            long totalMillis = 0;
            while (System.nanoTime() < deadline) {
                for (BundledSuites.Task t : tasks) {
                    RenderResult r = renderer.render(new RenderRequest(domain, t.code(), settings), out(n++));
                    assertTrue(r.ok(), t.id() + ": " + r.error());
                    renders++;
                    drawMillis += r.renderMillis();
                    totalMillis += r.millis();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "throughput %s: %d renders of %d tasks in %.2f s = %.1f renders/s single-threaded "
                            + "(%dx%d; mean %.2f ms per render, of which %.2f ms drawing, the rest PNG encoding and writing)%n",
                    domain, renders, tasks.size(), seconds, renders / seconds, settings.width(), settings.height(),
                    (double) totalMillis / renders, (double) drawMillis / renders);
        }
    }

    private Path out(int n) throws Exception {
        return Files.createDirectories(dir.resolve("r" + n));
    }
}
