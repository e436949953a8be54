package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More SVG renders at a time than warm children: they wait for a warm child instead of each starting a cold JVM
 * (which drew a reward-service batch 20x slower), yet a render behind children held by hostile documents still gets
 * its own child and finishes long before their deadline.
 */
class SvgChildPoolTest {
    private static final String NS = "xmlns=\"http://www.w3.org/2000/svg\"";

    private final SvgRenderer renderer = new SvgRenderer();
    private final AtomicInteger dirs = new AtomicInteger();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        renderer.close();
    }

    @Test
    void moreRendersAtATimeThanChildren_waitForWarmChildrenInsteadOfStartingJvms() throws Exception {
        int threads = SvgRenderer.MAX_IDLE_CHILDREN * 3;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // Starts the children and warms them. A cold start takes longer than EXTRA_CHILD_AFTER, so renders that
            // waited for the first children start a few more here; those beyond the warm places end after their render.
            renderConcurrently(pool, threads, 2);
            int started = renderer.childrenStarted();

            renderConcurrently(pool, threads, 6);

            // Before the wait, every render past the warm children started and ended a JVM: 4 here (2 cores). One extra is
            // tolerated for a machine so loaded that a warm child took longer than EXTRA_CHILD_AFTER to come back.
            int extra = renderer.childrenStarted() - started;
            assertTrue(extra <= 1, extra + " children started for " + threads * 6 + " renders on warm children");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void renderBehindChildrenHeldByHostileDocuments_startsItsOwnChild() throws Exception {
        int hogs = SvgRenderer.MAX_IDLE_CHILDREN;
        Duration hogTimeout = Duration.ofSeconds(6);
        // 2000 chained blurs: over 5 s of drawing in one JSVG call (SvgDeadlineTest), so the children stay held.
        String hostile = doc("<defs><filter id=\"f\" x=\"-10\" y=\"-10\" width=\"20\" height=\"20\">"
                + "<feGaussianBlur stdDeviation=\"30\"/>".repeat(2000) + "</filter></defs>"
                + "<rect width=\"100\" height=\"100\" filter=\"url(#f)\"/>");
        ExecutorService pool = Executors.newFixedThreadPool(hogs);
        try {
            List<Future<RenderResult>> held = new ArrayList<>();
            for (int i = 0; i < hogs; i++) {
                held.add(pool.submit(() -> render(hostile, hogTimeout)));
            }
            Thread.sleep(SvgRenderer.EXTRA_CHILD_AFTER.toMillis());  // the hogs have their children by now

            long start = System.nanoTime();
            RenderResult benign = render(circle("teal"), Duration.ofSeconds(30));
            long took = (System.nanoTime() - start) / 1_000_000;

            assertTrue(benign.ok(), benign.errorKind() + ": " + benign.error());
            assertTrue(took < hogTimeout.toMillis(), "the render waited " + took + " ms: behind the hostile documents' "
                    + hogTimeout.toMillis() + " ms deadline");
            for (Future<RenderResult> f : held) {
                assertEquals(ErrorKind.TIMEOUT, f.get().errorKind(), f.get().error());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void renderConcurrently(ExecutorService pool, int threads, int each) throws Exception {
        String[] colours = {"teal", "tomato", "gold", "navy", "plum", "olive"};
        List<Future<RenderResult>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int k = 0; k < each; k++) {
                String colour = colours[(t + k) % colours.length];
                futures.add(pool.submit(() -> render(circle(colour), Duration.ofSeconds(60))));
            }
        }
        for (Future<RenderResult> f : futures) {
            RenderResult r = f.get();
            assertTrue(r.ok(), r.errorKind() + ": " + r.error());
            assertTrue(Files.size(r.lastFrame()) > 0);
        }
    }

    private RenderResult render(String svg, Duration timeout) throws Exception {
        Path out = Files.createDirectories(dir.resolve("r" + dirs.incrementAndGet()));
        return renderer.render(new RenderRequest("svg", svg, RenderSettings.SVG_DEFAULTS.withTimeout(timeout)), out);
    }

    private static String circle(String colour) {
        return doc("<circle cx=\"50\" cy=\"50\" r=\"30\" fill=\"" + colour + "\" stroke=\"black\"/>");
    }

    private static String doc(String body) {
        return "<svg " + NS + " viewBox=\"0 0 100 100\">" + body + "</svg>";
    }
}
