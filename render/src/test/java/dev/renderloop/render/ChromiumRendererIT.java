package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The html renderer against the real Chromium: pixels, full-page capture, every hostile page, and
 * the browser's lifecycle (restart after a kill, recycling, nothing left after close). Skipped,
 * with the reason, where Chromium is not installed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChromiumRendererIT {
    static final RenderSettings QUICK = RenderSettings.HTML_DEFAULTS.withTimeout(Duration.ofSeconds(3));
    static final String RED_PAGE = "<!doctype html><body style=\"margin:0\">"
            + "<div style=\"width:100vw;height:100vh;background:#ff0000\"></div></body>";
    static final int RED = 0xffff0000;
    static final int WHITE = 0xffffffff;

    ChromiumRenderer chromium;

    @TempDir
    Path out;

    @BeforeAll
    void start() {
        chromium = new ChromiumRenderer();
        Assumptions.assumeTrue(chromium.availability().available(), chromium.availability().detail());
    }

    @AfterAll
    void stop() {
        if (chromium != null) {
            chromium.close();
        }
    }

    // ---- pixels and capture ---------------------------------------------------------------------

    @Test
    void redDivCoveringTheViewport_isRedFromCornerToCorner() throws Exception {
        RenderResult r = render(chromium, RED_PAGE, RenderSettings.HTML_DEFAULTS);
        assertTrue(r.ok(), r.error());
        BufferedImage image = image(r);
        assertEquals(1280, image.getWidth());
        assertEquals(800, image.getHeight());
        for (int[] xy : new int[][] {{0, 0}, {1279, 0}, {640, 400}, {0, 799}, {1279, 799}}) {
            assertEquals(RED, image.getRGB(xy[0], xy[1]), "pixel at " + Arrays.toString(xy));
        }
        assertEquals(r.lastFrame(), r.media());
        assertEquals(List.of(r.lastFrame()), r.frames());
        assertEquals("frame_00000.png", r.lastFrame().getFileName().toString());
    }

    @Test
    void fullPageCapture_ofA2000pxPage_is2000pxTall_andViewportUnitsStayViewportSized() throws Exception {
        String page = "<!doctype html><body style=\"margin:0\">"
                + "<div style=\"height:100vh;background:#ff0000\"></div>"
                + "<div style=\"height:1200px;background:#0000ff\"></div></body>";
        RenderResult r = render(chromium, page, RenderSettings.HTML_DEFAULTS);
        assertTrue(r.ok(), r.error());
        BufferedImage image = image(r);
        assertEquals(1280, image.getWidth());
        assertEquals(2000, image.getHeight());
        assertEquals(RED, image.getRGB(10, 10));
        assertEquals(RED, image.getRGB(10, 799), "100vh is the 800 px viewport, not the captured height");
        assertEquals(0xff0000ff, image.getRGB(10, 800));
        assertEquals(0xff0000ff, image.getRGB(1279, 1999));
    }

    @Test
    void viewport_followsTheSettings() throws Exception {
        RenderResult r = render(chromium, RED_PAGE, RenderSettings.HTML_DEFAULTS.withSize(400, 300));
        assertTrue(r.ok(), r.error());
        BufferedImage image = image(r);
        assertEquals(400, image.getWidth());
        assertEquals(300, image.getHeight());
        assertEquals(RED, image.getRGB(399, 299));
    }

    @Test
    void emptyAndMalformedPages_renderOnWhite() throws Exception {
        for (String page : List.of("<!doctype html>", " ", "<div><p>unclosed <b>tags <table><td>cell",
                "<div style=\"display:none\">hidden</div>")) {
            RenderResult r = render(chromium, page, QUICK);
            assertTrue(r.ok(), page + ": " + r.error());
            BufferedImage image = image(r);
            assertEquals(WHITE, image.getRGB(0, 0));
            assertEquals(WHITE, image.getRGB(1279, 799));
        }
    }

    @Test
    void pageTallerThanTheCap_isCutAtTheCapAndTheLogSaysSo() throws Exception {
        String page = "<!doctype html><body style=\"margin:0\"><div style=\"height:20000px;background:#00ff00\"></div>";
        RenderResult r = render(chromium, page, QUICK.withTimeout(Duration.ofSeconds(10)));
        assertTrue(r.ok(), r.error());
        assertEquals(16384, image(r).getHeight());
        assertTrue(r.log().contains("20000 px tall"), r.log());
    }

    @Test
    void screenshotOverTheFileLimit_isOutputTooLarge() throws Exception {
        // Noise does not compress: a 1280x800 canvas of random pixels is about 3 MB as PNG.
        String page = "<!doctype html><body style=\"margin:0\"><canvas id=c width=1280 height=800></canvas><script>"
                + "const g=c.getContext('2d'),d=g.createImageData(1280,800);let s=1;"
                + "for(let i=0;i<d.data.length;i++){s=(Math.imul(s,1103515245)+12345)>>>0;d.data[i]=s>>>24;}"
                + "for(let i=3;i<d.data.length;i+=4)d.data[i]=255;g.putImageData(d,0,0);</script>";
        RenderResult r = render(chromium, page, QUICK.withMaxFileBytes(1 << 20));
        assertEquals(ErrorKind.OUTPUT_TOO_LARGE, r.errorKind(), r.error());
        assertTrue(r.frames().isEmpty());
    }

    @Test
    void scriptErrorsAndConsoleOutput_areLoggedNotFatal() throws Exception {
        String page = "<!doctype html><p>still rendered</p><script>console.log('hello', 42);"
                + "console.error('oops');undefinedFunction();</script>";
        RenderResult r = render(chromium, page, QUICK);
        assertTrue(r.ok(), r.error());
        assertTrue(r.log().contains("console.log: hello 42"), r.log());
        assertTrue(r.log().contains("console.error: oops"), r.log());
        assertTrue(r.log().contains("ReferenceError"), r.log());
    }

    @Test
    void sameOriginStorage_works_andContextsDoNotShareIt() throws Exception {
        // The first render stores a value; a later render, on a reset or a new page, must not see it.
        String page = "<!doctype html><body style=\"margin:0\"><div id=d style=\"width:100vw;height:100vh\"></div><script>"
                + "d.style.background = localStorage.getItem('seen') ? '#0000ff' : '#ff0000';"
                + "localStorage.setItem('seen', '1');</script>";
        for (int i = 0; i < 2; i++) {
            RenderResult r = render(chromium, page, QUICK);
            assertTrue(r.ok(), r.error());
            assertEquals(RED, image(r).getRGB(5, 5), "render " + i + " saw storage of an earlier job");
        }
    }

    // ---- hostile pages ---------------------------------------------------------------------------

    /** How a hostile page may end: rendered, or failed with one of the kinds. */
    record Expect(boolean mayRender, Set<ErrorKind> kinds) {
        static Expect renders() {
            return new Expect(true, Set.of());
        }

        static Expect fails(ErrorKind... kinds) {
            return new Expect(false, Set.of(kinds));
        }

        static Expect rendersOrFails(ErrorKind... kinds) {
            return new Expect(true, Set.of(kinds));
        }

        boolean accepts(RenderResult r) {
            return r.ok() ? mayRender : kinds.contains(r.errorKind());
        }
    }

    static Stream<Arguments> hostilePages() {
        // The heap bomb meets the V8 heap limit (1 GiB) before the default 4 GiB process limit; the
        // typed arrays live outside the heap and meet the watchdog's 768 MiB.
        RenderSettings heap = RenderSettings.HTML_DEFAULTS.withTimeout(Duration.ofSeconds(40));
        RenderSettings memory = heap.withMemoryBytes(768L << 20);
        return Stream.of(
                Arguments.of("endless loop in a script", "<p>x</p><script>while (true) {}</script>", QUICK,
                        Expect.fails(ErrorKind.TIMEOUT)),
                Arguments.of("endless loop in the load handler", "<p>x</p><script>onload = () => { for (;;) {} }</script>", QUICK,
                        Expect.fails(ErrorKind.TIMEOUT)),
                Arguments.of("endless loop in a timer", "<p>x</p><script>setTimeout(() => { for (;;) {} }, 0)</script>", QUICK,
                        Expect.fails(ErrorKind.TIMEOUT)),
                Arguments.of("endless reloads", "<p>x</p><script>location.reload()</script>", QUICK,
                        Expect.rendersOrFails(ErrorKind.TIMEOUT)),
                Arguments.of("alert, confirm and prompt", "<script>alert('a'); confirm('b'); prompt('c', 'd');</script>" + RED_PAGE,
                        QUICK, Expect.renders()),
                Arguments.of("alert from the load handler and a timer",
                        "<script>onload = () => alert('loaded'); setTimeout(() => alert('later'), 0);</script>" + RED_PAGE,
                        QUICK, Expect.renders()),
                Arguments.of("popups", "<script>for (let i = 0; i < 5; i++) window.open('about:blank');"
                        + "window.open('http://127.0.0.1:9/popup', '_blank', 'width=300');</script>" + RED_PAGE, QUICK, Expect.renders()),
                Arguments.of("closes its own window", "<p>x</p><script>window.close()</script>", QUICK,
                        Expect.rendersOrFails(ErrorKind.RUNTIME_ERROR)),
                Arguments.of("navigates away", "<p>x</p><script>location.href = 'http://127.0.0.1:9/elsewhere'</script>", QUICK,
                        Expect.rendersOrFails(ErrorKind.RUNTIME_ERROR, ErrorKind.TIMEOUT)),
                Arguments.of("console flood", "<script>for (let i = 0; i < 1000000; i++) console.log('line', i)</script>", QUICK,
                        Expect.renders()),
                Arguments.of("download", "<a id=a download=x.txt href=\"data:text/plain,hello\">x</a><script>a.click()</script>",
                        QUICK, Expect.renders()),
                Arguments.of("print dialog", "<p>x</p><script>window.print()</script>", QUICK, Expect.renders()),
                Arguments.of("beforeunload handler", "<p>x</p><script>addEventListener('beforeunload', e => {"
                        + " e.preventDefault(); e.returnValue = 'stay'; })</script>", QUICK, Expect.renders()),
                Arguments.of("permission prompts", "<p>x</p><script>Notification.requestPermission();"
                        + " navigator.geolocation.getCurrentPosition(() => 0, () => 0);</script>", QUICK, Expect.renders()),
                Arguments.of("javascript: navigation", "<p>x</p><script>location = 'javascript:alert(1)'</script>", QUICK,
                        Expect.renders()),
                Arguments.of("service worker", "<script>navigator.serviceWorker.register('/sw.js').catch(e => 0)</script><p>x</p>",
                        QUICK, Expect.renders()),
                Arguments.of("memory bomb on the JavaScript heap",
                        "<script>const a = []; for (;;) a.push(new Array(1e6).fill(1.5));</script>", heap,
                        Expect.fails(ErrorKind.MEMORY_LIMIT, ErrorKind.RUNTIME_ERROR)),
                Arguments.of("memory bomb outside the heap (typed arrays)",
                        "<script>const a = []; for (;;) { const b = new Uint8Array(32 << 20); b.fill(7); a.push(b); }</script>",
                        memory, Expect.fails(ErrorKind.MEMORY_LIMIT, ErrorKind.RUNTIME_ERROR)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostilePages")
    void hostilePage_isContainedAndClassified_andTheBrowserKeepsServing(String name, String page, RenderSettings settings,
                                                                        Expect expect) throws Exception {
        assertTrue(render(chromium, RED_PAGE, QUICK).ok(), "warm-up");
        int browsers = chromium.browsersStarted();
        long start = System.nanoTime();
        RenderResult r = render(chromium, page, settings);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(expect.accepts(r), name + ": got " + (r.ok() ? "ok" : r.errorKind() + ": " + r.error()));
        if (!r.ok()) {
            assertFalse(r.error().isBlank());
            assertTrue(r.frames().isEmpty());
        }
        double bound = settings.timeout().toSeconds() + 6;
        assertTrue(seconds < bound, name + " took " + seconds + " s; the bound is " + bound + " s");
        assertTrue(r.log().length() <= 17 * 1024, "the log is bounded");

        RenderResult after = render(chromium, RED_PAGE, QUICK);
        assertTrue(after.ok(), name + ": the renderer must keep serving: " + after.error());
        assertEquals(RED, image(after).getRGB(640, 400));
        assertEquals(browsers, chromium.browsersStarted(), name + ": the page must be contained without replacing the browser");
        assertEquals(List.of(), strays(chromium), name + ": processes outside the live browser");
    }

    @Test
    void endlessLoop_leavesNoSpinningRendererBehind() throws Exception {
        RenderResult r = render(chromium, "<script>while (true) {}</script>", QUICK.withTimeout(Duration.ofSeconds(2)));
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
        ProcessHandle browser = ProcessHandle.of(chromium.browserPid().orElseThrow()).orElseThrow();
        Thread.sleep(500);  // let the disposed context's renderer exit
        Duration before = cpu(browser);
        Thread.sleep(2000);
        Duration used = cpu(browser).minus(before);
        assertTrue(used.toMillis() < 700, "the browser's processes used " + used.toMillis() + " ms of CPU in 2 s after the timeout");
    }

    @Test
    void dialogs_areDismissedAndLogged() throws Exception {
        RenderResult r = render(chromium, "<script>alert('hi'); confirm('sure?') || prompt('name?');</script>" + RED_PAGE, QUICK);
        assertTrue(r.ok(), r.error());
        assertTrue(r.log().contains("dialog (alert) dismissed: hi"), r.log());
        assertTrue(r.log().contains("dialog (prompt) dismissed: name?"), r.log());
        assertEquals(RED, image(r).getRGB(5, 5));
    }

    @Test
    void localNetwork_isNeverContacted() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            server.setSoTimeout(2000);
            String base = "127.0.0.1:" + server.getLocalPort();
            String page = String.join("\n",
                    "<!doctype html>",
                    "<link rel=stylesheet href=\"http://" + base + "/style.css\">",
                    "<link rel=prefetch href=\"http://" + base + "/prefetch\">",
                    "<img src=\"http://" + base + "/image.png\">",
                    "<iframe src=\"http://" + base + "/frame\"></iframe>",
                    "<script src=\"http://" + base + "/script.js\"></script>",
                    "<video src=\"http://" + base + "/video.mp4\" autoplay></video>",
                    "<form id=f action=\"http://" + base + "/form\" method=post target=sink><input name=a value=b></form>",
                    "<iframe name=sink></iframe>",
                    "<script>",
                    "fetch('http://" + base + "/fetch').catch(() => 0);",
                    "fetch('http://localhost:" + server.getLocalPort() + "/by-name').catch(() => 0);",
                    "const x = new XMLHttpRequest(); x.open('GET', 'http://" + base + "/xhr'); x.send();",
                    "try { new WebSocket('ws://" + base + "/socket'); } catch (e) {}",
                    "try { new EventSource('http://" + base + "/events'); } catch (e) {}",
                    "navigator.sendBeacon('http://" + base + "/beacon', 'x');",
                    "const w = new Worker(URL.createObjectURL(new Blob([\"fetch('http://" + base + "/worker').catch(() => 0);"
                            + "try { new WebSocket('ws://" + base + "/worker-socket') } catch (e) {}\"])));",
                    "f.submit();",
                    "</script>",
                    "<p>network probes</p>");
            RenderResult r = render(chromium, page, QUICK.withTimeout(Duration.ofSeconds(5)));
            assertTrue(r.ok() || r.errorKind() != null, "classified either way");
            assertTrue(r.log().contains("blocked request"), r.log());
            // Requests are refused by interception at once; give late ones (worker, socket) time anyway.
            try (var ignored = server.accept()) {
                throw new AssertionError("the page connected to the host's loopback");
            } catch (SocketTimeoutException expected) {
                // nothing connected
            }
        }
    }

    @Test
    void localFiles_doNotLeakIntoTheImage() throws Exception {
        Path secret = Files.createTempFile(out, "secret", ".txt");
        // Many long dark lines: if any of it renders, the image is full of dark pixels.
        Files.writeString(secret, ("SECRET-" + "#".repeat(60) + "\n").repeat(40));
        String frame = "style=\"border:0;width:1280px;height:800px;display:block\"";
        String leaky = "<!doctype html><body style=\"margin:0\"><iframe src=\"file://" + secret + "\" " + frame + "></iframe>";
        String control = "<!doctype html><body style=\"margin:0\"><iframe srcdoc=\"<pre>"
                + Files.readString(secret) + "</pre>\" " + frame + "></iframe>";

        RenderResult shown = render(chromium, control, QUICK);
        assertTrue(shown.ok(), shown.error());
        assertTrue(darkPixels(image(shown)) > 5000, "the control must show the text: " + darkPixels(image(shown)));

        RenderResult r = render(chromium, leaky, QUICK);
        assertTrue(r.ok(), r.error());
        assertTrue(darkPixels(image(r)) < 500, "file content shown: " + darkPixels(image(r)) + " dark pixels");

        // fetch, XHR, <img> and top-level navigation to file: all fail; success would paint the page red.
        String probes = "<!doctype html><body style=\"margin:0\"><div id=d style=\"width:100vw;height:100vh;background:#00ff00\"></div>"
                + "<img src=\"file:///etc/passwd\" onload=\"d.style.background='#ff0000'\">"
                + "<script>"
                + "fetch('file://" + secret + "').then(() => d.style.background = '#ff0000', () => 0);"
                + "try { const x = new XMLHttpRequest(); x.open('GET', 'file://" + secret + "', false); x.send();"
                + " if (x.responseText) d.style.background = '#ff0000'; } catch (e) {}"
                + "</script>";
        RenderResult p = render(chromium, probes, QUICK);
        assertTrue(p.ok(), p.error());
        assertEquals(0xff00ff00, image(p).getRGB(640, 400), "a file: probe succeeded");

        RenderResult nav = render(chromium, "<!doctype html><script>location.href = 'file://" + secret + "'</script>", QUICK);
        if (nav.ok()) {
            assertTrue(darkPixels(image(nav)) < 500, "navigated to the file: " + darkPixels(image(nav)));
        }
        for (RenderResult any : List.of(r, p, nav)) {
            assertFalse(any.log().contains("SECRET-") || any.error().contains("SECRET-"));
        }
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    @Test
    void browserKilledBetweenJobs_isReplacedTransparently() throws Exception {
        try (ChromiumRenderer own = new ChromiumRenderer()) {
            assertTrue(render(own, RED_PAGE, QUICK).ok());
            long pid = own.browserPid().orElseThrow();
            killTree(pid);
            RenderResult r = render(own, RED_PAGE, QUICK);
            assertTrue(r.ok(), r.error());
            assertEquals(2, own.browsersStarted());
            assertNotEquals(pid, own.browserPid().orElseThrow());
        }
    }

    @Test
    void browserKilledDuringAJob_givesRendererCrashed_andTheNextJobSucceeds() throws Exception {
        try (ChromiumRenderer own = new ChromiumRenderer()) {
            assertTrue(render(own, RED_PAGE, QUICK).ok());
            long pid = own.browserPid().orElseThrow();
            Path dir = Files.createDirectories(out.resolve("in-flight"));
            CompletableFuture<RenderResult> inFlight = CompletableFuture.supplyAsync(() -> own.render(
                    new RenderRequest("html", "<script>while (true) {}</script>", QUICK.withTimeout(Duration.ofSeconds(30))), dir));
            Thread.sleep(1500);
            assertFalse(inFlight.isDone());
            long killedAt = System.nanoTime();
            killTree(pid);
            RenderResult r = inFlight.get(20, TimeUnit.SECONDS);
            assertEquals(ErrorKind.RENDERER_CRASHED, r.errorKind(), r.error());
            assertTrue((System.nanoTime() - killedAt) / 1e9 < 10, "the job must learn of the death promptly");
            RenderResult next = render(own, RED_PAGE, QUICK);
            assertTrue(next.ok(), next.error());
            assertEquals(2, own.browsersStarted());
        }
    }

    @Test
    void browser_isRecycledAfterItsJobLimit() throws Exception {
        try (ChromiumRenderer own = new ChromiumRenderer(ChromiumRenderer.Options.defaults().withMaxJobsPerBrowser(2))) {
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                assertTrue(render(own, RED_PAGE, QUICK).ok());
                own.browserPid().ifPresent(pids::add);
            }
            assertEquals(3, own.browsersStarted(), "5 jobs at 2 per browser");
            assertEquals(List.of(), strays(own), "a recycled browser must be gone");
        }
    }

    @Test
    void browser_isRecycledWhenItsProcessesGrowPastTheMemoryLimit() throws Exception {
        // Any browser holds more than 1 MiB, so every job ends with a recycle.
        try (ChromiumRenderer own = new ChromiumRenderer(ChromiumRenderer.Options.defaults().withMaxBrowserRssBytes(1 << 20))) {
            for (int i = 0; i < 3; i++) {
                RenderResult r = render(own, RED_PAGE, QUICK);
                assertTrue(r.ok(), r.error());
            }
            assertEquals(3, own.browsersStarted());
            assertTrue(own.browserPid().isEmpty(), "the last browser was recycled after its job");
            assertEquals(List.of(), strays(own));
        }
    }

    @Test
    void browserStartedByAThreadThatEnds_keepsServing() throws Exception {
        // bubblewrap's --die-with-parent follows the thread that started it: the renderer starts browsers on its own thread.
        try (ChromiumRenderer own = new ChromiumRenderer()) {
            AtomicReference<RenderResult> first = new AtomicReference<>();
            Path dir = Files.createDirectories(out.resolve("short-lived"));
            Thread t = Thread.ofPlatform().start(() -> first.set(own.render(new RenderRequest("html", RED_PAGE, QUICK), dir)));
            t.join();
            assertTrue(first.get().ok(), first.get().error());
            Thread.sleep(500);
            RenderResult second = render(own, RED_PAGE, QUICK);
            assertTrue(second.ok(), second.error());
            assertEquals(1, own.browsersStarted());
        }
    }

    @Test
    void close_leavesNoProcessAndNoFiles() throws Exception {
        ChromiumRenderer own = new ChromiumRenderer();
        assertTrue(render(own, RED_PAGE, QUICK).ok());
        Path scratch = own.scratchRoot();
        assertFalse(processesUnder(scratch).isEmpty(), "the census must see the running browser");
        own.close();
        own.close();  // idempotent
        assertEquals(List.of(), settled(() -> processesUnder(scratch)), "browser processes after close");
        assertEquals(List.of(), settled(ChromiumRendererIT::chromiumDescendantsOfThisJvm)
                .stream().filter(s -> s.contains(scratch.toString())).toList());
        assertFalse(Files.exists(scratch), "scratch directory left behind");
        RenderResult after = render(own, RED_PAGE, QUICK);
        assertEquals(ErrorKind.RENDERER_UNAVAILABLE, after.errorKind());
    }

    @Test
    void withoutBubblewrap_pagesStillRenderAndStillCannotReachTheLoopback() throws Exception {
        try (ChromiumRenderer fallback = new ChromiumRenderer(ChromiumRenderer.Options.defaults().withSandbox(Sandbox.detect(false)));
             ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            assertTrue(fallback.availability().detail().contains("without bubblewrap"), fallback.availability().detail());
            server.setSoTimeout(1500);
            String probe = "<script>fetch('http://127.0.0.1:" + server.getLocalPort() + "/x').catch(() => 0);"
                    + "try { new WebSocket('ws://127.0.0.1:" + server.getLocalPort() + "/ws') } catch (e) {}</script>";
            RenderResult r = render(fallback, probe + RED_PAGE, QUICK);
            assertTrue(r.ok(), r.error());
            assertEquals(RED, image(r).getRGB(640, 400));
            try (var ignored = server.accept()) {
                throw new AssertionError("the page connected to the host's loopback");
            } catch (SocketTimeoutException expected) {
                // nothing connected
            }
        }
    }

    @Test
    void throughAnEngineWithACache_theSecondRenderIsAHit_andTimeoutsAreNotCached() throws Exception {
        try (RenderEngine engine = RenderEngine.builder().cacheDir(out.resolve("cache")).scratchDir(out)
                .renderer(new ChromiumRenderer()).build()) {
            RenderResult first = engine.render(new RenderRequest("html", RED_PAGE, QUICK));
            assertTrue(first.ok(), first.error());
            assertFalse(first.cached());
            RenderResult second = engine.render(new RenderRequest("html", RED_PAGE, QUICK));
            assertTrue(second.cached());
            assertEquals(RED, image(second).getRGB(5, 5));
            assertEquals(second.lastFrame(), second.media());
            RenderResult loop = engine.render(new RenderRequest("html", "<script>for (;;) {}</script>", QUICK));
            assertEquals(ErrorKind.TIMEOUT, loop.errorKind());
            assertFalse(engine.render(new RenderRequest("html", "<script>for (;;) {}</script>", QUICK)).cached());
            assertEquals(ErrorKind.NO_CODE, engine.render(new RenderRequest("html", "  ", QUICK)).errorKind());
        }
    }

    @Test
    void missingBrowser_isUnavailableWithTheInstallHint() throws Exception {
        try (ChromiumRenderer none = new ChromiumRenderer(Path.of("/nonexistent/chromium"), out)) {
            assertFalse(none.availability().available());
            assertTrue(none.availability().detail().contains("apt-get install chromium"), none.availability().detail());
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, render(none, RED_PAGE, QUICK).errorKind());
        }
    }

    @Test
    void availabilityAndVersion_nameTheBrowser() {
        assertTrue(chromium.availability().detail().startsWith("Chromium "), chromium.availability().detail());
        String version = chromium.version();
        assertTrue(version.startsWith("chromium:Chromium "), version);
        assertTrue(version.contains("capture:" + ChromiumRenderer.CAPTURE_REVISION), version);
        assertThrows(IllegalArgumentException.class, () -> ChromiumRenderer.Options.defaults().withMaxJobsPerBrowser(0));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    RenderResult render(ChromiumRenderer renderer, String page, RenderSettings settings) throws IOException {
        Path dir = Files.createTempDirectory(out, "render");
        RenderResult r = renderer.render(new RenderRequest("html", page, settings), dir);
        for (Path f : r.frames()) {
            assertTrue(f.startsWith(dir), f + " is outside the output directory");
        }
        if (r.ok()) {
            assertNull(r.errorKind());
        }
        return r;
    }

    static BufferedImage image(RenderResult r) throws IOException {
        return ImageIO.read(r.lastFrame().toFile());
    }

    static long darkPixels(BufferedImage image) {
        long dark = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int luminance = ((rgb >> 16 & 0xff) * 299 + (rgb >> 8 & 0xff) * 587 + (rgb & 0xff) * 114) / 1000;
                if (luminance < 128) {
                    dark++;
                }
            }
        }
        return dark;
    }

    /** Kills the browser's process tree from outside, as a crash or the OOM killer would, and waits for it. */
    static void killTree(long pid) throws Exception {
        ProcessHandle root = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> tree = ProcessTree.of(root);
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : tree) {
            p.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    /** Total CPU time of a process tree. */
    static Duration cpu(ProcessHandle root) {
        return ProcessTree.of(root).stream().map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** Every process whose command line mentions {@code scratch} (all of a renderer's browsers do), anywhere on the machine. */
    static List<String> processesUnder(Path scratch) {
        if (scratch == null) {
            return List.of();
        }
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + ": " + ProcessTree.cmdline(p.pid()))
                .filter(s -> s.contains(scratch.toString()))
                .collect(Collectors.toList());
    }

    /** Processes of {@code renderer} that are not part of its current browser's tree. */
    static List<String> strays(ChromiumRenderer renderer) throws InterruptedException {
        return settled(() -> {
            Set<Long> live = renderer.browserPid().stream()
                    .mapToObj(pid -> ProcessHandle.of(pid).map(ProcessTree::of).orElse(List.of()))
                    .flatMap(List::stream).map(ProcessHandle::pid).collect(Collectors.toSet());
            return processesUnder(renderer.scratchRoot()).stream()
                    .filter(s -> !live.contains(Long.parseLong(s.substring(0, s.indexOf(':')))))
                    .toList();
        });
    }

    static List<String> chromiumDescendantsOfThisJvm() {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + ": " + ProcessTree.cmdline(p.pid()))
                .filter(s -> s.contains("chromium") || s.contains("chrome"))
                .toList();
    }

    /** Polls {@code census} for up to 5 s until it is empty (killed processes take a moment to be reaped). */
    static List<String> settled(java.util.function.Supplier<List<String>> census) throws InterruptedException {
        List<String> found = census.get();
        for (int i = 0; i < 50 && !found.isEmpty(); i++) {
            Thread.sleep(100);
            found = census.get();
        }
        return found;
    }
}
