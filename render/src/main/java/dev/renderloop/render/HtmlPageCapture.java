package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One render of one HTML page on a running browser: a page in a browser context of its own
 * ({@link PreparedPage}), the document loaded from memory, a full-page screenshot; then the page is
 * either reset for the next job ({@link #reset}) or disposed with its context.
 *
 * <h2>Design</h2>
 *
 * <p><b>Loading without a server.</b> The page is navigated to {@value #PAGE_URL} (the reserved
 * {@code .invalid} domain never resolves) with request interception on ({@code Fetch.enable}, pattern
 * {@code *}); the interception answers the main frame's document request with the code itself
 * ({@code Fetch.fulfillRequest}) and fails every other request ({@code BlockedByClient}). Unlike
 * {@code Page.setDocumentContent}, the page gets a real load cycle and a stable http origin
 * (localStorage works, relative URLs resolve), and unlike a {@code data:} URL there is no 2 MB URL
 * limit. {@code data:} and {@code blob:} URLs never reach the network and are not intercepted, so
 * pages can still use them. The context's own proxy ({@code 127.0.0.1:9}, loopback not bypassed)
 * catches what interception does not see (WebSockets, workers' requests).
 *
 * <p><b>One event loop.</b> Everything the page does arrives as events on the job's session
 * (requests to answer, dialogs to dismiss, console lines, crashes). A dialog opened from a script
 * blocks the page until it is answered, so even while waiting for a command's answer (the layout
 * metrics, the screenshot) the job keeps serving events: {@link #await} wakes on either.
 *
 * <p><b>Reused, reset between jobs.</b> Creating a context and a page (a new renderer process: ~60 ms
 * of CPU in the renderer, ~20 ms in the browser) cost a warm browser more than rendering a simple page.
 * So a page serves job after job, one at a time: after a successful job it is navigated to
 * {@code about:blank}, which unloads the job's document (its timers, workers and unload handlers end
 * there), then the origin's stored data is cleared, the history reset and the window name cleared
 * ({@link #reset}, in the background while the caller takes the result). The next document starts in
 * the same renderer process, on a page that shows it what a fresh page would ({@code HtmlPageReuseIT}
 * compares the two, and their pixels). A page whose reset fails or runs late (a script still busy) is
 * disposed instead, and every failed job's page is disposed. Each page has a context of its own, so
 * two jobs running at once never share storage or a renderer process. New pages are made ahead
 * ({@link #prepare}) at the size of the last job; a job sets the viewport first only when its size
 * differs (a resize costs a relayout and a new compositor surface).
 *
 * <p><b>Drawn when asked.</b> In the headless shell pages are made with begin-frame control: the
 * compositor draws only when asked ({@code HeadlessExperimental.beginFrame}), so a page draws nothing
 * while it loads, and the capture is the first frame after the load event, with its screenshot,
 * instead of a wait for the next frame of a 60 Hz stream (~17 ms a job). A page taller than the
 * viewport is captured by {@code Page.captureScreenshot} beyond the viewport, with frames asked for
 * until it answers, which keeps its layout (viewport units, fixed elements) at the viewport's size.
 * The full browser, which lacks the protocol, draws on its own clock and is captured the same way.
 *
 * <p><b>Time.</b> The job's timeout starts when the page is navigated (setting up the page is the
 * renderer's time, not the page's) and covers loading and capturing. On any failure the context is
 * disposed before the job returns, which takes its renderer process (and an endless loop in it)
 * along; if the browser does not confirm that within {@link #DISPOSE_TIMEOUT}, the outcome says the
 * browser is broken and the renderer replaces it. A browser that does not confirm a disposal in the
 * background in time is marked wedged and replaced before the next job.
 *
 * <p>Not thread-safe: one instance per job, used by one thread.
 */
final class HtmlPageCapture {
    /** Where the page appears to live. */
    static final String PAGE_URL = "http://renderloop.invalid/";
    static final Duration DISPOSE_TIMEOUT = Duration.ofSeconds(5);
    /** Context and page creation are the browser's work: a healthy browser answers in milliseconds. */
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration OOM_LOG_WAIT = Duration.ofMillis(300);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CdpConnection.Event WAKE = new CdpConnection.Event("RenderLoop.wake", null, "");
    private static final int MAX_BLOCKED_LOGGED = 20;
    /** A frame with a screenshot of the viewport, encoded for speed (a larger file, the same pixels). */
    private static final ObjectNode FRAME_SCREENSHOT = JSON.createObjectNode();
    static {
        FRAME_SCREENSHOT.putObject("screenshot").put("format", "png").put("optimizeForSpeed", true);
    }
    /** Frames without new pixels tolerated before the capture falls back to {@code Page.captureScreenshot}. */
    private static final int MAX_EMPTY_FRAMES = 8;
    /** How long one asked-for frame may take to be drawn. */
    private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(5);
    /** How long resetting a page between jobs may take before the page is disposed instead. */
    static final Duration RESET_TIMEOUT = Duration.ofSeconds(2);
    /** The origin of {@link #PAGE_URL}, whose stored data is cleared between jobs. */
    static final String PAGE_ORIGIN = "http://renderloop.invalid";
    /** Console calls forwarded per page; see {@link #CONSOLE_CAP}. */
    static final int MAX_CONSOLE_LINES = 200;
    /**
     * Installed before the page's own scripts: every console call becomes a DevTools event that the
     * browser serialises and the JVM parses, so a page logging in a loop would spend its time (and
     * the job's) on that. After {@value #MAX_CONSOLE_LINES} calls the console methods do nothing.
     */
    private static final String CONSOLE_CAP = """
            (() => {
              let count = 0;
              for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'dirxml', 'table', 'assert']) {
                const original = console[name];
                if (typeof original !== 'function') continue;
                console[name] = function (...args) {
                  count++;
                  if (count <= %d) return original.apply(this, args);
                  if (count === %d) original.call(console, '[further console output dropped]');
                };
              }
            })();
            """.formatted(MAX_CONSOLE_LINES, MAX_CONSOLE_LINES + 1);

    /**
     * What a job produced.
     *
     * @param result        the render result
     * @param browserBroken the browser misbehaved (died, or did not dispose the context): replace it
     * @param retry         the browser failed before the page ran at all: the job may run again elsewhere
     * @param reusable      the page after a successful job, to be reset and used again ({@link ChromiumBrowser#recycle});
     *                      null when it was disposed
     */
    record Outcome(RenderResult result, boolean browserBroken, boolean retry, PreparedPage reusable) {
    }

    private final ChromiumBrowser browser;
    private final CdpConnection cdp;
    private final RenderSettings settings;
    private final byte[] document;
    private final Path outputDir;
    private final Limits limits;
    private final long startNanos;
    private final long memoryEventsAtStart;
    private final PageLog log = new PageLog();
    private final BlockingQueue<CdpConnection.Event> events;
    private final String domain;
    private final String contextId;
    private final String targetId;
    private final String sessionId;
    private final boolean sized;
    private final PreparedPage page;
    private long deadline;
    private long pageStart;
    private int documentsServed;
    private int blocked;
    private boolean loaded;

    /**
     * Limits that belong to the renderer rather than to one request.
     *
     * @param maxPageHeight tallest capture in CSS pixels; taller pages are cut and the log says so
     * @param jsHeapBytes   the V8 heap limit the browser runs with (for the error text)
     * @param watchdogBytes resident size at which the watchdog kills a renderer process (for the error text)
     */
    record Limits(int maxPageHeight, long jsHeapBytes, long watchdogBytes) {
    }

    private HtmlPageCapture(ChromiumBrowser browser, PreparedPage page, RenderRequest request, Path outputDir, Limits limits,
                            long startNanos) {
        this.browser = browser;
        this.cdp = browser.cdp();
        this.events = page.events();
        this.contextId = page.contextId();
        this.targetId = page.targetId();
        this.sessionId = page.sessionId();
        this.settings = request.settings();
        this.sized = page.width() == settings.width() && page.height() == settings.height();
        this.page = page;
        this.document = request.code().getBytes(StandardCharsets.UTF_8);
        this.domain = request.domain();
        this.outputDir = outputDir;
        this.limits = limits;
        this.startNanos = startNanos;
        this.memoryEventsAtStart = browser.memoryEvents();
    }

    /**
     * A page made ready before its job (see {@link ChromiumBrowser#takePage}): a fresh context with
     * one blank page, attached, its events already flowing into {@code events}, request interception,
     * dialogs, console and the console cap in place, its viewport {@code width} x {@code height} CSS
     * pixels at device scale 1. Used by one job at a time; between jobs it is reset ({@link #reset}) or
     * disposed.
     *
     * @param beginFrames the page draws only when asked ({@code HeadlessExperimental.beginFrame}); see the class notes
     * @param jobs        jobs this page has served
     */
    record PreparedPage(String contextId, String targetId, String sessionId, BlockingQueue<CdpConnection.Event> events,
                        int width, int height, boolean beginFrames, int jobs) {

        /** The same page after one more job, its viewport now {@code width} x {@code height}. */
        PreparedPage afterJob(int width, int height) {
            return new PreparedPage(contextId, targetId, sessionId, events, width, height, beginFrames, jobs + 1);
        }

        /** False when the idle page's renderer died or the browser went away while it waited. */
        boolean usable() {
            return events.stream().noneMatch(e -> switch (e.method()) {
                case "Inspector.targetCrashed", "Inspector.detached", CdpConnection.CONNECTION_CLOSED -> true;
                default -> false;
            });
        }
    }

    /**
     * Creates a context and a page in it with a {@code width} x {@code height} viewport, and enables
     * what every job needs. On failure the context, if made, is disposed.
     */
    static PreparedPage prepare(CdpConnection cdp, int width, int height, boolean beginFrames)
            throws CdpConnection.CdpException, TimeoutException, InterruptedException {
        ObjectNode context = JSON.createObjectNode()
                .put("proxyServer", "127.0.0.1:9")
                .put("proxyBypassList", "<-loopback>");
        String contextId = cdp.call("Target.createBrowserContext", context, "", SETUP_TIMEOUT).path("browserContextId").asText();
        try {
            // Made at the viewport's size (the headless shell honours it), so that the override below resizes nothing.
            ObjectNode target = JSON.createObjectNode()
                    .put("url", "about:blank")
                    .put("browserContextId", contextId)
                    .put("width", width)
                    .put("height", height)
                    .put("enableBeginFrameControl", beginFrames);
            String targetId = cdp.call("Target.createTarget", target, "", SETUP_TIMEOUT).path("targetId").asText();
            String sessionId = cdp.call("Target.attachToTarget", JSON.createObjectNode().put("targetId", targetId).put("flatten", true),
                    "", SETUP_TIMEOUT).path("sessionId").asText();
            BlockingQueue<CdpConnection.Event> events = new LinkedBlockingQueue<>();
            cdp.subscribe(sessionId, events::offer);
            ObjectNode fetch = JSON.createObjectNode();
            fetch.putArray("patterns").addObject().put("urlPattern", "*");
            ObjectNode media = JSON.createObjectNode();
            media.putArray("features").addObject().put("name", "prefers-color-scheme").put("value", "light");
            // Sent together (the browser answers in order); each must succeed before the page may load.
            awaitAll(List.of(
                    cdp.send("Page.enable", null, sessionId),
                    cdp.send("Runtime.enable", null, sessionId),
                    cdp.send("Fetch.enable", fetch, sessionId),
                    cdp.send("Emulation.setEmulatedMedia", media, sessionId),
                    cdp.send("Emulation.setDeviceMetricsOverride", viewport(width, height), sessionId),
                    cdp.send("Page.addScriptToEvaluateOnNewDocument", JSON.createObjectNode().put("source", CONSOLE_CAP), sessionId)));
            return new PreparedPage(contextId, targetId, sessionId, events, width, height, beginFrames, 0);
        } catch (CdpConnection.CdpException | TimeoutException | InterruptedException | RuntimeException e) {
            cdp.send("Target.disposeBrowserContext", JSON.createObjectNode().put("browserContextId", contextId), "");
            throw e;
        }
    }

    private static ObjectNode viewport(int width, int height) {
        return JSON.createObjectNode()
                .put("width", width)
                .put("height", height)
                .put("deviceScaleFactor", 1)
                .put("mobile", false);
    }

    /**
     * Disposes a page that no job will use, with its context and renderer process, without waiting;
     * the answer completes when the browser confirms it.
     */
    static CompletableFuture<JsonNode> discard(CdpConnection cdp, PreparedPage page) {
        cdp.unsubscribe(page.sessionId());
        return cdp.send("Target.disposeBrowserContext", JSON.createObjectNode().put("browserContextId", page.contextId()), "");
    }

    /**
     * Makes a page that has served a job as good as new for the next one, or says it cannot. The
     * page is navigated to {@code about:blank}, which unloads the job's document (its scripts, timers,
     * workers, and its unload handlers' last writes happen now, not during the next job); then every
     * kind of data stored for {@link #PAGE_ORIGIN} (cookies, local storage, IndexedDB, ...) and every cookie of the context is cleared,
     * the session history reset to that one blank entry, and the window's name cleared. False, and the page must be disposed,
     * when any step fails or the whole takes longer than {@link #RESET_TIMEOUT}: a renderer still
     * busy with the last job's script cannot unload it in time, and such a page is never reused.
     */
    static boolean reset(CdpConnection cdp, PreparedPage page) throws InterruptedException {
        String session = page.sessionId();
        BlockingQueue<CdpConnection.Event> events = page.events();
        long deadline = System.nanoTime() + RESET_TIMEOUT.toNanos();
        events.clear();
        CompletableFuture<JsonNode> navigation = cdp.send("Page.navigate", JSON.createObjectNode().put("url", "about:blank"), session);
        navigation.whenComplete((r, t) -> events.offer(WAKE));
        boolean blank = false;
        boolean loaded = false;
        while (!(loaded && navigation.isDone())) {
            long left = deadline - System.nanoTime();
            CdpConnection.Event e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
            if (e == null) {
                return false;
            }
            JsonNode p = e.params();
            switch (e.method()) {
                // The old document's last requests: refused, as during the job.
                case "Fetch.requestPaused" -> cdp.send("Fetch.failRequest", JSON.createObjectNode()
                        .put("requestId", p.path("requestId").asText()).put("errorReason", "BlockedByClient"), session);
                // A beforeunload prompt is answered "leave"; any other dialog dismissed.
                case "Page.javascriptDialogOpening" -> cdp.send("Page.handleJavaScriptDialog",
                        JSON.createObjectNode().put("accept", "beforeunload".equals(p.path("type").asText())), session);
                case "Page.frameNavigated" -> {
                    JsonNode frame = p.path("frame");
                    blank |= frame.path("parentId").isMissingNode() && "about:blank".equals(frame.path("url").asText());
                }
                case "Page.loadEventFired" -> loaded |= blank;
                case "Inspector.targetCrashed", "Inspector.detached", CdpConnection.CONNECTION_CLOSED -> {
                    return false;
                }
                default -> {
                    // console output of the unloading document, lifecycle events: nothing to do
                }
            }
        }
        if (navigation.isCompletedExceptionally() || !navigation.join().path("errorText").asText("").isEmpty()) {
            return false;
        }
        try {
            awaitAll(List.of(
                    cdp.send("Storage.clearDataForOrigin", JSON.createObjectNode().put("origin", PAGE_ORIGIN).put("storageTypes", "all"), session),
                    // A domain cookie ("domain=renderloop.invalid") survives clearDataForOrigin (HtmlJobIsolationIT
                    // caught it): every cookie of the page's context goes.
                    cdp.send("Storage.clearCookies", JSON.createObjectNode().put("browserContextId", page.contextId()), ""),
                    cdp.send("Page.resetNavigationHistory", null, session),
                    // The browsing context's name outlives its documents (HtmlPageReuseIT caught it): cleared on the blank page.
                    cdp.send("Runtime.evaluate", JSON.createObjectNode().put("expression", "window.name = ''"), session)), deadline);
        } catch (CdpConnection.CdpException | TimeoutException e) {
            return false;
        }
        events.clear();
        return true;
    }

    private static void awaitAll(List<CompletableFuture<JsonNode>> calls)
            throws CdpConnection.CdpException, TimeoutException, InterruptedException {
        awaitAll(calls, System.nanoTime() + SETUP_TIMEOUT.toNanos());
    }

    private static void awaitAll(List<CompletableFuture<JsonNode>> calls, long until)
            throws CdpConnection.CdpException, TimeoutException, InterruptedException {
        for (CompletableFuture<JsonNode> f : calls) {
            try {
                f.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof CdpConnection.CdpException c ? c
                        : new CdpConnection.CdpException(String.valueOf(e.getCause()), false);
            }
        }
    }

    /**
     * Renders {@code request} on a page of {@code browser} into {@code outputDir/frames/frame_00000.png},
     * and disposes the page's context. Never throws for anything the page does.
     *
     * @param startNanos when the render call began ({@link System#nanoTime()}), for the result's timing
     */
    static Outcome run(ChromiumBrowser browser, PreparedPage page, RenderRequest request, Path outputDir, Limits limits,
                       long startNanos) throws InterruptedException {
        return new HtmlPageCapture(browser, page, request, outputDir, limits, startNanos).run();
    }

    private Outcome run() throws InterruptedException {
        // Not awaited: the session runs commands in order, so the viewport is set before the navigation starts.
        CompletableFuture<JsonNode> viewport = sized ? CompletableFuture.completedFuture(null)
                : cdp.send("Emulation.setDeviceMetricsOverride", viewport(settings.width(), settings.height()), sessionId);
        RenderResult result;
        try {
            result = loadAndCapture(viewport);
        } catch (Stop stop) {
            result = stop.result;
        }
        if (result.ok()) {
            // Handed back: the browser resets it in the background while the caller takes the result.
            return new Outcome(result, false, false, page.afterJob(settings.width(), settings.height()));
        }
        // After a failure the next job must find the browser clean, so the disposal is awaited.
        boolean disposed = dispose();
        boolean crashedBrowser = result.errorKind() == ErrorKind.RENDERER_CRASHED;
        return new Outcome(result, crashedBrowser || !disposed, false, null);
    }

    private RenderResult loadAndCapture(CompletableFuture<JsonNode> viewport) throws Stop, InterruptedException {
        pageStart = System.nanoTime();
        deadline = pageStart + settings.timeout().toNanos();
        CompletableFuture<JsonNode> navigation = cdp.send("Page.navigate", JSON.createObjectNode().put("url", PAGE_URL), sessionId);
        navigation.whenComplete((r, t) -> events.offer(WAKE));
        while (!loaded) {
            if (navigation.isDone() && !navigation.isCompletedExceptionally()) {
                String error = navigation.join().path("errorText").asText("");
                if (!error.isEmpty()) {
                    throw new Stop(failure(ErrorKind.RUNTIME_ERROR, "the page could not be loaded: " + error));
                }
            }
            next("load");
        }

        if (viewport.isCompletedExceptionally()) {
            throw new Stop(failure(ErrorKind.RENDERER_CRASHED, "the browser did not set the viewport: "
                    + viewport.exceptionNow().getMessage()));
        }
        CompletableFuture<JsonNode> layoutCall = cdp.send("Page.getLayoutMetrics", null, sessionId);
        // Sent with the layout query rather than after its answer (one round trip less): most pages fit the
        // viewport, and for them this is the capture. A taller page is captured again below, at its full height.
        CompletableFuture<JsonNode> viewportShot = page.beginFrames()
                ? beginFrame(FRAME_SCREENSHOT)
                : cdp.send("Page.captureScreenshot", screenshot(settings.height()), sessionId);
        JsonNode layout = await(layoutCall, "layout");
        JsonNode size = layout.path("cssContentSize");
        int contentHeight = (int) Math.ceil(size.path("height").asDouble(settings.height()));
        int height = Math.max(settings.height(), Math.min(contentHeight, limits.maxPageHeight()));
        if (contentHeight > limits.maxPageHeight()) {
            log.add(String.format(Locale.ROOT, "renderloop: the page is %d px tall; the image shows its top %d px",
                    contentHeight, limits.maxPageHeight()));
        }
        String data = null;
        if (height == settings.height() && page.beginFrames()) {
            data = frameScreenshot(viewportShot);
        } else if (height == settings.height()) {
            data = await(viewportShot, "screenshot").path("data").asText("");
        }
        if (data == null) {
            // Taller than the viewport (or no frame had the page's pixels): the compositor's capture beyond the
            // viewport keeps the page's layout (100vh, fixed elements) as it was at the viewport's size.
            CompletableFuture<JsonNode> capture = cdp.send("Page.captureScreenshot", screenshot(height), sessionId);
            data = (page.beginFrames() ? awaitDrawing(capture) : await(capture, "screenshot")).path("data").asText("");
        }
        byte[] png;
        try {
            png = Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            return failure(ErrorKind.RENDERER_CRASHED, "the browser returned a screenshot that is not base64");
        }
        if (png.length < 8 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G') {
            return failure(ErrorKind.RENDERER_CRASHED, "the browser returned a screenshot that is not a PNG image");
        }
        long limit = Math.min(settings.maxFileBytes(), settings.maxOutputBytes());
        if (png.length > limit) {
            return failure(ErrorKind.OUTPUT_TOO_LARGE, String.format(Locale.ROOT,
                    "the screenshot (%d x %d px) is %,d bytes; the limit is %,d bytes", settings.width(), height, png.length, limit));
        }
        try {
            Path frames = Files.createDirectories(outputDir.resolve("frames"));
            Path frame = Files.write(frames.resolve("frame_00000.png"), png);
            long now = System.nanoTime();
            return new RenderResult(domain, null, "", List.of(frame), frame, frame, null,
                    millis(now - startNanos), millis(now - pageStart), false, log.text());
        } catch (IOException e) {
            return failure(ErrorKind.RENDERER_CRASHED, "cannot write the screenshot: " + e.getMessage());
        }
    }

    /**
     * The PNG of the first frame drawn with the page, from the {@code beginFrame} already sent and, if
     * that frame had nothing new to draw, up to {@value #MAX_EMPTY_FRAMES} more; null if none had.
     */
    private String frameScreenshot(CompletableFuture<JsonNode> frame) throws Stop, InterruptedException {
        for (int i = 0; ; i++) {
            JsonNode answer = await(frame, "screenshot");
            String data = answer.path("screenshotData").asText("");
            if (!data.isEmpty()) {
                return data;
            }
            if (i == MAX_EMPTY_FRAMES) {
                return null;
            }
            frame = beginFrame(FRAME_SCREENSHOT);
        }
    }

    /**
     * Waits for a command that needs the compositor to draw (a capture) on a page that draws only when
     * asked: frames are issued one after another until it answers, within the job's deadline.
     */
    private JsonNode awaitDrawing(CompletableFuture<JsonNode> call) throws Stop, InterruptedException {
        call.whenComplete((r, t) -> events.offer(WAKE));
        CompletableFuture<JsonNode> frame = CompletableFuture.completedFuture(null);
        while (!call.isDone()) {
            if (frame.isDone()) {
                frame = beginFrame(JSON.createObjectNode());
                frame.whenComplete((r, t) -> events.offer(WAKE));
            }
            next("screenshot");
        }
        return await(call, "screenshot");
    }

    /**
     * Asks the page for a frame. One frame at a time per browser ({@link ChromiumBrowser#frames()}): the
     * headless shell 156 crashed (a failed surface readback, then a CHECK in the browser process) when
     * two pages' frames were asked for at once, and never in thousands of frames asked for one by one.
     * A frame not drawn within {@link #FRAME_TIMEOUT} fails the capture rather than hold up other jobs.
     */
    private CompletableFuture<JsonNode> beginFrame(ObjectNode params) throws Stop, InterruptedException {
        java.util.concurrent.Semaphore frames = browser.frames();
        long left = deadline - System.nanoTime();
        if (left <= 0 || !frames.tryAcquire(left, TimeUnit.NANOSECONDS)) {
            throw new Stop(timedOut("screenshot"));
        }
        CompletableFuture<JsonNode> frame;
        try {
            frame = cdp.send("HeadlessExperimental.beginFrame", params, sessionId).orTimeout(FRAME_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            frames.release();
            throw e;
        }
        frame.whenComplete((r, t) -> frames.release());
        return frame;
    }

    /** Parameters of a lossless capture of the page's top {@code height} CSS pixels. */
    private ObjectNode screenshot(int height) {
        ObjectNode shot = JSON.createObjectNode()
                .put("format", "png")
                // Faster compression (a larger file, the same pixels): encoding is a third of a simple page's capture.
                .put("optimizeForSpeed", true)
                // Only a page taller than the viewport needs it; it costs a resize of the page's surface.
                .put("captureBeyondViewport", height > settings.height());
        shot.putObject("clip").put("x", 0).put("y", 0).put("width", settings.width()).put("height", height).put("scale", 1);
        return shot;
    }

    /** Waits for a command's answer while serving the page's events; the job's deadline applies. */
    private JsonNode await(CompletableFuture<JsonNode> call, String stage) throws Stop, InterruptedException {
        call.whenComplete((r, t) -> events.offer(WAKE));
        while (!call.isDone()) {
            next(stage);
        }
        try {
            return call.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof CdpConnection.CdpException c && c.connectionLost()) {
                throw new Stop(browserDied());
            }
            // The page went away under the command (crashed, closed itself): its events say why.
            drainPending();
            throw new Stop(failure(ErrorKind.RUNTIME_ERROR, "the page could not be captured: " + e.getCause().getMessage()));
        }
    }

    /** Serves the terminal events already queued (a crash report that raced a failed command). */
    private void drainPending() throws Stop {
        CdpConnection.Event e;
        while ((e = events.poll()) != null) {
            handle(e);
        }
    }

    /** Takes one event (or a wake-up) and serves it; stops the job at its deadline. */
    private void next(String stage) throws Stop, InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new Stop(timedOut(stage));
        }
        CdpConnection.Event e = events.poll(left, TimeUnit.NANOSECONDS);
        if (e != null) {
            handle(e);
        }
    }

    private void handle(CdpConnection.Event e) throws Stop {
        JsonNode p = e.params();
        switch (e.method()) {
            case "Fetch.requestPaused" -> answerRequest(p);
            case "Page.javascriptDialogOpening" -> {
                log.add("dialog (" + p.path("type").asText() + ") dismissed: " + p.path("message").asText());
                cdp.send("Page.handleJavaScriptDialog", JSON.createObjectNode().put("accept", false), sessionId);
            }
            case "Page.windowOpen" -> log.add("popup blocked: window.open(" + p.path("url").asText() + ")");
            case "Page.loadEventFired" -> loaded |= documentsServed > 0;
            case "Runtime.exceptionThrown" -> log.add(exceptionText(p.path("exceptionDetails")));
            case "Runtime.consoleAPICalled" -> log.add(consoleText(p));
            case "Inspector.targetCrashed" -> throw new Stop(pageCrashed());
            case "Inspector.detached" -> {
                String reason = p.path("reason").asText();
                throw new Stop(reason.toLowerCase(Locale.ROOT).contains("render process gone") ? pageCrashed()
                        : failure(ErrorKind.RUNTIME_ERROR, "the page closed its own window (" + reason + ")"));
            }
            case CdpConnection.CONNECTION_CLOSED -> throw new Stop(browserDied());
            default -> {
                // lifecycle and frame events: nothing to do
            }
        }
    }

    /** The document itself is served from memory; everything else is refused. */
    private void answerRequest(JsonNode p) {
        String requestId = p.path("requestId").asText();
        String url = p.path("request").path("url").asText();
        boolean mainDocument = PAGE_URL.equals(url) && "Document".equals(p.path("resourceType").asText())
                && targetId.equals(p.path("frameId").asText());
        if (mainDocument) {
            documentsServed++;
            ObjectNode answer = JSON.createObjectNode()
                    .put("requestId", requestId)
                    .put("responseCode", 200)
                    .put("body", Base64.getEncoder().encodeToString(document));
            ArrayNode headers = answer.putArray("responseHeaders");
            headers.addObject().put("name", "Content-Type").put("value", "text/html; charset=utf-8");
            headers.addObject().put("name", "Cache-Control").put("value", "no-store");
            cdp.send("Fetch.fulfillRequest", answer, sessionId);
            return;
        }
        if (++blocked <= MAX_BLOCKED_LOGGED && !url.equals(PAGE_URL + "favicon.ico")) {
            log.add("blocked request (no network): " + abbreviate(url, 200));
        }
        cdp.send("Fetch.failRequest", JSON.createObjectNode().put("requestId", requestId).put("errorReason", "BlockedByClient"), sessionId);
    }

    private RenderResult timedOut(String stage) {
        String what = switch (stage) {
            case "load" -> "did not finish loading";
            case "layout", "screenshot" -> "did not become ready for its screenshot";
            default -> "did not finish";
        };
        return failure(ErrorKind.TIMEOUT, String.format(Locale.ROOT,
                "the page %s within %.1f s (a script that never returns, such as an endless loop, blocks the page)",
                what, settings.timeout().toMillis() / 1000.0));
    }

    private RenderResult pageCrashed() {
        // The renderer logs "V8 javascript OOM" to stderr before it dies; that line and the crash
        // event travel separately, so give the line a moment to arrive.
        long until = System.nanoTime() + OOM_LOG_WAIT.toNanos();
        while (browser.memoryEvents() == memoryEventsAtStart && System.nanoTime() < until) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (browser.memoryEvents() > memoryEventsAtStart) {
            return failure(ErrorKind.MEMORY_LIMIT, String.format(Locale.ROOT,
                    "the page ran out of memory (JavaScript heap limit %d MiB, renderer process limit %d MiB) and its renderer process was stopped",
                    limits.jsHeapBytes() >> 20, limits.watchdogBytes() >> 20));
        }
        return failure(ErrorKind.RUNTIME_ERROR, "the page crashed its renderer process");
    }

    private RenderResult browserDied() {
        return failure(ErrorKind.RENDERER_CRASHED, "the browser died during the render: " + browser.diagnostics());
    }

    private RenderResult failure(ErrorKind kind, String error) {
        long now = System.nanoTime();
        String tail = log.text();
        String text = tail.isEmpty() || kind == ErrorKind.RENDERER_CRASHED ? error : error + "\n" + tail;
        return new RenderResult(domain, kind, text, List.of(), null, null, null, millis(now - startNanos),
                pageStart == 0 ? 0 : millis(now - pageStart), false, tail);
    }

    /** Disposes the context (and with it the page and its renderer process); false if the browser did not confirm. */
    private boolean dispose() throws InterruptedException {
        cdp.unsubscribe(sessionId);
        try {
            cdp.call("Target.disposeBrowserContext", JSON.createObjectNode().put("browserContextId", contextId), "", DISPOSE_TIMEOUT);
            return true;
        } catch (CdpConnection.CdpException e) {
            return !e.connectionLost();
        } catch (TimeoutException e) {
            return false;
        }
    }

    private static String exceptionText(JsonNode details) {
        String description = details.path("exception").path("description").asText("");
        String text = description.isEmpty() ? details.path("text").asText("exception") : description;
        int line = details.path("lineNumber").asInt(-1);
        return "uncaught " + abbreviate(text.lines().findFirst().orElse(text), 500) + (line >= 0 ? " (line " + (line + 1) + ")" : "");
    }

    private static String consoleText(JsonNode p) {
        List<String> parts = new ArrayList<>();
        for (JsonNode arg : p.path("args")) {
            JsonNode value = arg.get("value");
            parts.add(value != null && !value.isNull() ? (value.isTextual() ? value.asText() : value.toString())
                    : arg.path("unserializableValue").asText(arg.path("description").asText(arg.path("type").asText())));
        }
        return "console." + p.path("type").asText("log") + ": " + abbreviate(String.join(" ", parts), 500);
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }

    /** Ends the job early with a result; only ever thrown and caught inside this class. */
    private static final class Stop extends Exception {
        final transient RenderResult result;

        Stop(RenderResult result) {
            super(result.error(), null, false, false);
            this.result = result;
        }
    }

    /** What the page said (console, uncaught errors, blocked requests, dialogs): the last lines, bounded. */
    static final class PageLog {
        private static final int MAX_LINES = MAX_CONSOLE_LINES + 50;
        private static final int MAX_CHARS = 16 * 1024;
        private static final int MAX_LINE_CHARS = 2000;
        private final Deque<String> lines = new ArrayDeque<>();
        private int chars;
        private int dropped;

        void add(String line) {
            line = abbreviate(line, MAX_LINE_CHARS);
            lines.addLast(line);
            chars += line.length() + 1;
            while (lines.size() > MAX_LINES || chars > MAX_CHARS) {
                chars -= lines.removeFirst().length() + 1;
                dropped++;
            }
        }

        String text() {
            if (lines.isEmpty()) {
                return "";
            }
            return (dropped > 0 ? "[" + dropped + " earlier lines dropped]\n" : "") + String.join("\n", lines);
        }
    }
}
