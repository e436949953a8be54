package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the html renderer decides without a browser: availability, flags, options, the page log. */
class ChromiumRendererTest {
    @TempDir
    Path tmp;

    @Test
    void missingBrowser_isUnavailable_withTheInstallHint_andRenderSaysSo() {
        try (ChromiumRenderer r = new ChromiumRenderer(tmp.resolve("no-such-chromium"), tmp)) {
            Renderer.Availability a = r.availability();
            assertFalse(a.available());
            assertTrue(a.detail().contains("apt-get install chromium"), a.detail());
            RenderResult result = r.render(RenderRequest.of("html", "<p>x</p>"), tmp);
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, result.errorKind());
            assertEquals(a.detail(), result.error());
            assertEquals("html", r.domain());
        }
    }

    @Test
    void browserThatFailsItsVersionProbe_isUnavailable() throws Exception {
        Path fake = Files.writeString(tmp.resolve("chromium"), "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ChromiumRenderer r = new ChromiumRenderer(ChromiumRenderer.Options.defaults().withChromium(fake)
                .withSandbox(Sandbox.detect(false)))) {
            assertFalse(r.availability().available(), r.availability().detail());
        }
    }

    @Test
    void flags_keepTheBrowserOffTheNetworkAndHeadless() {
        List<String> flags = new ChromiumRenderer().flags();
        for (String required : List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--mute-audio", "--block-new-web-contents", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--hide-scrollbars")) {
            assertTrue(flags.contains(required), "missing " + required);
        }
        assertTrue(flags.stream().noneMatch(f -> f.startsWith("--remote-debugging-port")), "no TCP debugging port");
        assertTrue(flags.stream().noneMatch(f -> f.contains("allow-file-access")), "no file access");
        assertTrue(flags.contains("--js-flags=--max-old-space-size=1024"));
    }

    @Test
    void options_areValidatedEagerly() {
        ChromiumRenderer.Options d = ChromiumRenderer.Options.defaults();
        assertThrows(IllegalArgumentException.class, () -> d.withMaxConcurrentJobs(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxJobsPerBrowser(0));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxBrowserRssBytes(1));
        assertThrows(IllegalArgumentException.class, () -> d.withJsHeapBytes(1));
        assertThrows(IllegalArgumentException.class, () -> d.withMaxPageHeight(0));
        assertEquals(200, d.maxJobsPerBrowser());
        assertEquals(16384, d.maxPageHeight());
    }

    @Test
    void executableBehind_keepsABinary_andFollowsLinks() throws Exception {
        Path sh = Path.of("/bin/sh").toRealPath();
        Path link = Files.createSymbolicLink(tmp.resolve("link"), sh);
        assertEquals(sh, ChromiumRenderer.executableBehind(link));
    }

    @Test
    void pageLog_keepsTheLastLines_andSaysHowManyWereDropped() {
        HtmlPageCapture.PageLog log = new HtmlPageCapture.PageLog();
        assertEquals("", log.text());
        for (int i = 0; i < 1000; i++) {
            log.add("line " + i);
        }
        String text = log.text();
        assertTrue(text.endsWith("line 999"), text);
        assertTrue(text.startsWith("["), text);
        assertTrue(text.lines().count() <= HtmlPageCapture.MAX_CONSOLE_LINES + 51);
        log.add("x".repeat(100_000));
        assertTrue(log.text().endsWith("x..."), "a long line is cut, not lost");
        assertTrue(log.text().length() <= 17 * 1024);
    }
}
