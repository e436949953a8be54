package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real browser: a page that served one job and was reset ({@link HtmlPageCapture#reset})
 * serves the next as a fresh page would. Each test runs on its own renderer with one job at a time and
 * no spare page, so the second job lands on the first job's page, and checks that it did.
 */
class HtmlPageReuseIT {
    static final RenderSettings QUICK = RenderSettings.HTML_DEFAULTS.withTimeout(Duration.ofSeconds(5));

    /**
     * Reports, as one console line, everything a page could find left over from an earlier job on the
     * same page: data stored for the origin, the tab's own state, and the session history.
     */
    static final String REPORT = "<!doctype html><body><p>report</p><script>"
            + "console.log('state', JSON.stringify({local: Object.keys(localStorage).sort(), session: Object.keys(sessionStorage).sort(),"
            + " cookie: document.cookie, name: window.name, history: history.length, referrer: document.referrer,"
            + " state: history.state}));</script>";

    /** Leaves state everywhere it can, now, from a timer that keeps running, and while being unloaded. */
    static final String LITTER = "<!doctype html><body><p>litter</p><script>"
            + "localStorage.setItem('local', '1'); sessionStorage.setItem('session', '1');"
            + "document.cookie = 'c=1; max-age=3600'; document.cookie = 'd=1; path=/; max-age=3600';"
            + "window.name = 'left-behind'; history.pushState({job: 1}, '', '#one'); history.pushState({job: 1}, '', '#two');"
            + "setInterval(() => { localStorage.setItem('timer', String(Date.now())); }, 1);"
            + "addEventListener('pagehide', () => { localStorage.setItem('pagehide', '1'); document.cookie = 'hide=1; max-age=3600'; });"
            + "addEventListener('visibilitychange', () => localStorage.setItem('hidden', '1'));"
            + "</script>";

    @TempDir
    Path out;
    ChromiumRenderer chromium;

    @BeforeEach
    void available() {
        Assumptions.assumeTrue(new ChromiumRenderer().availability().available(), "Chromium is not installed");
    }

    ChromiumRenderer oneAtATime() {
        return new ChromiumRenderer(ChromiumRenderer.Options.defaults().withMaxConcurrentJobs(1).withSparePages(0));
    }

    RenderResult render(ChromiumRenderer renderer, String page, RenderSettings settings) throws Exception {
        return renderer.render(new RenderRequest("html", page, settings), Files.createTempDirectory(out, "job"));
    }

    static String stateLine(RenderResult r) {
        return r.log().lines().filter(l -> l.startsWith("console.log: state ")).findFirst().orElse("no state line in: " + r.log());
    }

    @Test
    void aReusedPage_showsTheNextJobNothingOfTheLast() throws Exception {
        String fresh;
        try (ChromiumRenderer renderer = oneAtATime()) {
            RenderResult first = render(renderer, REPORT, QUICK);
            assertTrue(first.ok(), first.error());
            fresh = stateLine(first);
        }
        assertTrue(fresh.contains("\"local\":[]") && fresh.contains("\"name\":\"\""), fresh);
        try (ChromiumRenderer renderer = oneAtATime()) {
            RenderResult litter = render(renderer, LITTER, QUICK);
            assertTrue(litter.ok(), litter.error());
            long reused = renderer.pagesReused();
            RenderResult report = render(renderer, REPORT, QUICK);
            assertTrue(report.ok(), report.error());
            assertEquals(reused + 1, renderer.pagesReused(), "the second job must run on the first job's page");
            assertEquals(fresh, stateLine(report), "the reused page must look exactly like a fresh one");
        }
    }

    @Test
    void aReusedPage_rendersTheSamePixelsAsAFreshOne() throws Exception {
        // Viewport units, a fixed element and a tall page: the layout must not depend on the page's past.
        String page = "<!doctype html><body style=\"margin:0\"><div style=\"height:100vh;background:#ff0000\"></div>"
                + "<div style=\"height:700px;background:#00ff00\"></div>"
                + "<div style=\"position:fixed;bottom:0;left:0;width:40px;height:40px;background:#0000ff\"></div></body>";
        RenderSettings small = QUICK.withSize(640, 480);
        try (ChromiumRenderer renderer = oneAtATime()) {
            RenderResult first = render(renderer, page, small);
            assertTrue(first.ok(), first.error());
            RenderResult other = render(renderer, REPORT, QUICK);  // another size in between
            assertTrue(other.ok(), other.error());
            RenderResult again = render(renderer, page, small);
            assertTrue(again.ok(), again.error());
            assertTrue(renderer.pagesReused() >= 2, "both later jobs must reuse the page");
            BufferedImage a = ImageIO.read(first.lastFrame().toFile());
            BufferedImage b = ImageIO.read(again.lastFrame().toFile());
            assertEquals(640, a.getWidth());
            assertEquals(480 + 700, a.getHeight(), "the full page");
            assertEquals(0xff0000ff, a.getRGB(10, 470), "the fixed element sits at the bottom of the first viewport");
            assertEquals(0xff00ff00, a.getRGB(320, 1000));
            assertEquals(List.of(a.getWidth(), a.getHeight()), List.of(b.getWidth(), b.getHeight()));
            for (int y = 0; y < a.getHeight(); y++) {
                for (int x = 0; x < a.getWidth(); x++) {
                    assertEquals(a.getRGB(x, y), b.getRGB(x, y), "pixel " + x + "," + y);
                }
            }
        }
    }

    @Test
    void aPageBusyAfterItsJob_isNotReused_andTheNextJobStillRenders() throws Exception {
        // The loop starts when the page is being unloaded, i.e. during the reset: the reset cannot finish,
        // so the page is disposed (its renderer process with it) and the next job gets a new one.
        String busy = "<!doctype html><body><p>x</p><script>addEventListener('pagehide', () => { for (;;) {} });</script>";
        try (ChromiumRenderer renderer = oneAtATime()) {
            RenderResult first = render(renderer, busy, QUICK);
            assertTrue(first.ok(), first.error());
            long reused = renderer.pagesReused();
            long start = System.nanoTime();
            RenderResult next = render(renderer, ChromiumRendererIT.RED_PAGE, QUICK);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(next.ok(), next.error());
            assertEquals(ChromiumRendererIT.RED, ImageIO.read(next.lastFrame().toFile()).getRGB(5, 5));
            assertEquals(reused, renderer.pagesReused(), "the busy page must not be reused");
            assertTrue(seconds < HtmlPageCapture.RESET_TIMEOUT.toSeconds() + 4.0, "the next job took " + seconds + " s");
            assertEquals(1, renderer.browsersStarted(), "a busy page is the page's problem, not the browser's");
        }
    }
}
