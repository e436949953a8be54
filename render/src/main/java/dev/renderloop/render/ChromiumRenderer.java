package dev.renderloop.render;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code html} domain: the code is an HTML page, rendered by one warm headless Chromium driven
 * over the Chrome DevTools Protocol, as a full-page PNG screenshot at a fixed viewport.
 *
 * <h2>Design</h2>
 *
 * <p><b>One warm browser, a page per job, reset between jobs.</b> Starting Chromium costs far more
 * than rendering a page, so one browser is started lazily and shared. Each job runs on a page with a
 * browser context of its own (its own cookies, storage, cache and renderer process), used by one job
 * at a time: after a successful job the page is reset (its document unloaded, its origin's data, history
 * and window name cleared) and serves a later job; after a failed one it is disposed with its context
 * ({@link HtmlPageCapture}). The browser keeps {@link Options#sparePages} pages idle or on their way
 * ahead of the next jobs ({@link ChromiumBrowser#takePage}). Up to {@link Options#maxConcurrentJobs}
 * jobs run at once, each on its own page and context.
 *
 * <p><b>Transport.</b> The DevTools pipe ({@code --remote-debugging-pipe}, fds 3 and 4), wired by a
 * {@code /bin/sh} that {@code exec}s the browser ({@link ChromiumBrowser}): no port is opened, and the
 * browser exits when the pipe closes, so it cannot outlive the JVM.
 *
 * <p><b>Lifecycle.</b> A browser that died (crashed, killed) is noticed before the next job and
 * replaced; a job in flight when it dies gets {@link ErrorKind#RENDERER_CRASHED}, and a job whose
 * page had not started yet is retried once on the new browser. A browser is recycled after
 * {@link Options#maxJobsPerBrowser} jobs or when the resident size of its process tree passes
 * {@link Options#maxBrowserRssBytes} (after its jobs finish); one that does not dispose a context
 * in time is killed at once. Killing takes the whole process tree: descendants listed first, asked
 * to terminate, then killed after a grace period. Browsers are started from one long-lived thread of
 * this renderer, because bubblewrap's {@code --die-with-parent} follows the starting thread.
 *
 * <p><b>Memory.</b> The V8 heap of every page is capped ({@link Options#jsHeapBytes}); a page that
 * passes it crashes its own renderer process, which the job reports as {@link ErrorKind#MEMORY_LIMIT}.
 * Memory outside the V8 heap (typed arrays, canvases) is watched: while jobs run, a watchdog kills
 * any page renderer process whose resident size passes the largest {@link RenderSettings#memoryBytes()}
 * of the jobs in flight (renderer processes cannot be mapped to jobs, so the most generous limit
 * applies).
 *
 * <h2>What isolates a page</h2>
 *
 * <p>Chromium's own sandbox is off ({@code --no-sandbox}): Chromium does not run it as root, and
 * inside bubblewrap it would need nested user namespaces. What confines a page instead:
 * <ul>
 *   <li>the whole browser runs in the project's {@link Sandbox}, like the Python workers: with
 *       bubblewrap, in new user, network, PID, IPC and UTS namespaces, with a read-only system,
 *       {@code /home}, {@code /root}, {@code /tmp} and {@code /run} hidden and only its own scratch
 *       directory writable; without bubblewrap, with an allowlisted environment and, where root may
 *       {@code unshare --net}, a network namespace of its own. When the JVM is root the browser runs
 *       as uid 65534 either way;</li>
 *   <li>no network: every request other than the page's own document is failed by request
 *       interception, every context (and the browser) uses a proxy at {@code 127.0.0.1:9} that
 *       refuses connections, loopback included, WebRTC may not use UDP, and under bubblewrap the
 *       browser has no network interface but its own loopback;</li>
 *   <li>no local files: the page's origin is http, from which Chromium refuses {@code file:} URLs
 *       (frames, images, fetch, XHR, navigation) before any request is made; under bubblewrap the
 *       private directories are hidden as well, and the browser's uid cannot read root's files;</li>
 *   <li>a browser context per page, one job at a time on it; between jobs the page is reset (the job's
 *       document unloaded, stored data, history and window name cleared) or, if that fails or the job
 *       failed, disposed with its renderer process; a fresh profile directory per browser;</li>
 *   <li>dialogs are dismissed, popups blocked (and closed if one opens), downloads denied;</li>
 *   <li>timeouts, the heap cap and the watchdog bound time and memory; the process-tree kill and the
 *       pipe bound the browser's life.</li>
 * </ul>
 *
 * <p>Thread-safe.
 */
final class ChromiumRenderer implements Renderer {
    private static final System.Logger LOG = System.getLogger(ChromiumRenderer.class.getName());
    /** Debian's headless shell (package chromium-headless-shell). */
    static final Path HEADLESS_SHELL = Path.of("/usr/lib/chromium/chromium-headless-shell");
    /** Changes whenever the capture can produce different pixels for the same page and browser. */
    static final String CAPTURE_REVISION = "2";
    private static final Duration WATCHDOG_PERIOD = Duration.ofMillis(200);
    /** How stale the recycle check's reading of the browser's size may be (page processes have their own limit). */
    private static final Duration RSS_MAX_AGE = Duration.ofSeconds(1);

    /**
     * How the renderer runs the browser.
     *
     * @param chromium           the browser or its launcher script; null finds {@code /usr/bin/chromium},
     *                           else {@code chromium}, {@code chromium-browser}, {@code google-chrome} on the PATH
     * @param scratchDir         where the renderer's scratch directory (profiles, temporary files) is made
     * @param sandbox            how to confine the browser; null detects it ({@code RENDERLOOP_SANDBOX=limits}
     *                           forbids bubblewrap, as for the Python workers)
     * @param maxConcurrentJobs  jobs rendered at once, each in its own context
     * @param maxJobsPerBrowser  the browser is replaced after this many jobs
     * @param maxBrowserRssBytes the browser is replaced when its process tree's resident size passes this
     *                           (read when a job ends, at most once a second)
     * @param jsHeapBytes        V8 heap limit of each page
     * @param maxPageHeight      tallest capture in CSS pixels; the top of taller pages is captured and the log says so
     * @param sparePages         pages kept idle, being reset or being prepared ahead of jobs (each holds a renderer process); 0: none
     * @param startTimeout       how long the browser may take to answer after launch
     */
    record Options(Path chromium, Path scratchDir, Sandbox sandbox, int maxConcurrentJobs, int maxJobsPerBrowser,
                   long maxBrowserRssBytes, long jsHeapBytes, int maxPageHeight, int sparePages, Duration startTimeout) {

        Options {
            Objects.requireNonNull(scratchDir, "scratchDir");
            Objects.requireNonNull(startTimeout, "startTimeout");
            RenderSettings.require(maxConcurrentJobs >= 1, "maxConcurrentJobs must be >= 1, got %s", maxConcurrentJobs);
            RenderSettings.require(maxJobsPerBrowser >= 1, "maxJobsPerBrowser must be >= 1, got %s", maxJobsPerBrowser);
            RenderSettings.require(maxBrowserRssBytes >= 1L << 20, "maxBrowserRssBytes must be at least 1 MiB, got %s", maxBrowserRssBytes);
            RenderSettings.require(jsHeapBytes >= 16L << 20, "jsHeapBytes must be at least 16 MiB, got %s", jsHeapBytes);
            RenderSettings.require(maxPageHeight >= 1 && maxPageHeight <= 65536, "maxPageHeight must be in 1..65536, got %s", maxPageHeight);
            RenderSettings.require(sparePages >= 0 && sparePages <= 16, "sparePages must be in 0..16, got %s", sparePages);
        }

        /**
         * Chromium found on this machine ({@link #locate()}), cores-many jobs at once, recycled after 200
         * jobs or 4 GiB, 1 GiB heaps, pages cut at 16384 px, one context prepared ahead.
         */
        static Options defaults() {
            return new Options(null, Path.of(System.getProperty("java.io.tmpdir")), null,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), 200, 4L << 30, 1L << 30, 16384, 1,
                    Duration.ofSeconds(30));
        }

        Options withChromium(Path path) {
            return new Options(path, scratchDir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withScratchDir(Path dir) {
            return new Options(chromium, dir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withSandbox(Sandbox s) {
            return new Options(chromium, scratchDir, s, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withMaxConcurrentJobs(int n) {
            return new Options(chromium, scratchDir, sandbox, n, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withMaxJobsPerBrowser(int n) {
            return new Options(chromium, scratchDir, sandbox, maxConcurrentJobs, n, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withMaxBrowserRssBytes(long bytes) {
            return new Options(chromium, scratchDir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, bytes,
                    jsHeapBytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withJsHeapBytes(long bytes) {
            return new Options(chromium, scratchDir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    bytes, maxPageHeight, sparePages, startTimeout);
        }

        Options withSparePages(int n) {
            return new Options(chromium, scratchDir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, maxPageHeight, n, startTimeout);
        }

        Options withMaxPageHeight(int px) {
            return new Options(chromium, scratchDir, sandbox, maxConcurrentJobs, maxJobsPerBrowser, maxBrowserRssBytes,
                    jsHeapBytes, px, sparePages, startTimeout);
        }
    }

    private final Options options;
    private final Semaphore permits;
    private final Object lock = new Object();
    private final AtomicInteger browsersStarted = new AtomicInteger();
    private final AtomicInteger browserSerial = new AtomicInteger();
    private final AtomicLong jobIds = new AtomicLong();
    /** Memory limit of every job in flight, by job number: the watchdog applies the largest. */
    private final Map<Long, Long> memoryLimits = new ConcurrentHashMap<>();
    /** Starts every browser, and lives as long as this renderer (see the class notes on --die-with-parent). */
    private final ExecutorService launcher = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("chromium-launcher").unstarted(r));
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("chromium-memory-watchdog").unstarted(r));

    private volatile Availability availability;
    private volatile Path binary;
    private volatile String browserVersion;
    private volatile Sandbox sandbox;

    // Guarded by lock.
    private ChromiumBrowser current;
    private final List<ChromiumBrowser> live = new ArrayList<>();
    private Path scratchRoot;
    private boolean closed;
    private boolean watching;

    /** A renderer with {@link Options#defaults()}: the machine's Chromium, scratch space in {@code java.io.tmpdir}. */
    ChromiumRenderer() {
        this(Options.defaults());
    }

    /**
     * A renderer for a given browser and scratch directory, otherwise with defaults.
     *
     * @param chromium   the browser or its launcher; null to find it
     * @param scratchDir where profiles and temporary files go
     */
    ChromiumRenderer(Path chromium, Path scratchDir) {
        this(Options.defaults().withChromium(chromium).withScratchDir(scratchDir));
    }

    ChromiumRenderer(Options options) {
        this.options = Objects.requireNonNull(options);
        this.permits = new Semaphore(options.maxConcurrentJobs(), true);
    }

    @Override
    public String domain() {
        return "html";
    }

    /** Finds the browser and asks its version (once; {@code --version} takes ~50 ms). */
    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            synchronized (this) {
                if (availability == null) {
                    availability = probe();
                }
                a = availability;
            }
        }
        return a;
    }

    @Override
    public String version() {
        availability();
        return String.join("|", "chromium:" + browserVersion, "capture:" + CAPTURE_REVISION,
                "heap:" + (options.jsHeapBytes() >> 20), "max-height:" + options.maxPageHeight(), String.valueOf(binary));
    }

    private Availability probe() {
        Path launcherPath = options.chromium() != null ? options.chromium() : locate();
        if (launcherPath == null || !Files.isExecutable(launcherPath)) {
            return Availability.no((launcherPath == null ? "Chromium not found (looked for $RENDERLOOP_CHROMIUM, "
                    + "chromium-headless-shell, /usr/bin/chromium, and chromium, chromium-browser, google-chrome, "
                    + "google-chrome-stable on the PATH)" : launcherPath + " is not executable")
                    + "; install it: apt-get install chromium (and chromium-headless-shell for faster renders)");
        }
        Path exe = executableBehind(launcherPath);
        try {
            Process p = new ProcessBuilder(exe.toString(), "--version").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return Availability.no(exe + " --version did not answer within 20 s");
                }
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            if (p.exitValue() != 0 || out.isEmpty()) {
                return Availability.no(exe + " --version failed (exit " + p.exitValue() + "); reinstall it: apt-get install chromium");
            }
            Sandbox s = options.sandbox() != null ? options.sandbox()
                    : Sandbox.detect(!"limits".equals(System.getenv("RENDERLOOP_SANDBOX")));
            this.sandbox = s;
            this.binary = exe;
            this.browserVersion = out.lines().findFirst().orElse(out);
            boolean shell = exe.getFileName().toString().contains("headless-shell");
            return Availability.yes(browserVersion + (shell ? " headless shell" : "") + " (" + exe
                    + (exe.equals(launcherPath) ? "" : " behind " + launcherPath)
                    + "), headless over the DevTools pipe, " + (s.level() == Sandbox.Level.BUBBLEWRAP
                    ? "inside bubblewrap (no network, home and /tmp hidden)"
                    : "without bubblewrap" + (ChromiumBrowser.netUnshare() ? " (own network namespace)" : " (requests blocked, no namespace)"))
                    + (s.workerUid() >= 0 ? ", as uid " + s.workerUid() : "")
                    + (shell ? "" : "; apt-get install chromium-headless-shell renders several times faster"));
        } catch (IOException e) {
            return Availability.no("cannot run " + exe + ": " + e.getMessage() + "; install Chromium: apt-get install chromium");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Availability.no("interrupted while probing Chromium");
        }
    }

    /**
     * The browser to use: {@code $RENDERLOOP_CHROMIUM} if set; else Debian's {@code chromium-headless-shell}
     * when installed (the same engine without the browser's user interface: a page costs the browser
     * process a quarter of the CPU time, because no window is built for each job's context); else
     * {@code /usr/bin/chromium}, else the first of the usual names on the PATH; null when none.
     */
    static Path locate() {
        String env = System.getenv("RENDERLOOP_CHROMIUM");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        for (Path p : List.of(HEADLESS_SHELL, Path.of("/usr/bin/chromium-headless-shell"), Path.of("/usr/bin/chromium"))) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String name : List.of("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
            String found = Sandbox.findExecutable(name);
            if (found != null) {
                return Path.of(found);
            }
        }
        return null;
    }

    /**
     * The browser binary behind a known launcher script. Debian's {@code /usr/bin/chromium} sources
     * {@code /etc/chromium.d} (API keys into the environment, extension and GPU flags) and Google's
     * wrapper sets up its own environment; the binary they start behaves the same without those
     * additions, so it is run directly. Binaries and unknown scripts are run as they are (a script
     * must then {@code exec} the browser, or the pipe does not reach it).
     */
    static Path executableBehind(Path launcher) {
        Path real;
        String script;
        try {
            real = launcher.toRealPath();
            if (isElf(real)) {
                return real;
            }
            script = Files.readString(real, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return launcher;
        }
        Path debian = Path.of("/usr/lib/chromium/chromium");
        if (script.contains("Chromium launcher") && isElf(debian)) {
            return debian;
        }
        // Debian's chromium-headless-shell script runs /usr/lib/chromium/chromium-headless-shell without exec.
        java.util.regex.Matcher named = java.util.regex.Pattern.compile("(/[\\w./-]+/" + java.util.regex.Pattern.quote(
                real.getFileName().toString()) + ")\\b").matcher(script);
        while (named.find()) {
            Path candidate = Path.of(named.group(1));
            if (!candidate.equals(real) && isElf(candidate)) {
                return candidate;
            }
        }
        Path google = real.resolveSibling("chrome");
        if (script.contains("$HERE/chrome") && isElf(google)) {
            return google;
        }
        return real;
    }

    private static boolean isElf(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether pages draw only when the renderer asks ({@code HeadlessExperimental.beginFrame}): in the
     * headless shell, whose protocol has it. A page then draws no frame while it loads, and is captured
     * in the first frame after its load event instead of in the next of a 60 Hz stream of frames.
     */
    boolean beginFrames() {
        availability();
        return binary != null && binary.getFileName().toString().contains("headless-shell");
    }

    /** The browser's command-line flags, without the profile directory and the pipe. */
    List<String> flags() {
        List<String> flags = new ArrayList<>(baseFlags());
        if (beginFrames()) {
            flags.addAll(List.of("--enable-begin-frame-control",
                    // Each asked-for frame runs every stage (animations, layout, paint, raster) before it is drawn,
                    // and only when asked: without these, parts of a frame would still come from threads on their own clock.
                    "--run-all-compositor-stages-before-draw", "--disable-new-content-rendering-timeout",
                    "--disable-threaded-animation", "--disable-threaded-scrolling", "--disable-checker-imaging"));
        }
        return flags;
    }

    private List<String> baseFlags() {
        return List.of(
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--mute-audio", "--disable-extensions", "--disable-crash-reporter",
                "--disable-breakpad", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                "--no-default-browser-check", "--password-store=basic", "--use-mock-keychain",
                // The headless shell has no popup blocker: without this, window.open makes real pages.
                "--block-new-web-contents",
                // The omnibox popups are WebUI pages with their own renderer processes, made for every new window
                // (one per page's context): disabling them makes a page's setup a third faster.
                // A page serves many jobs, one after another (see HtmlPageCapture.reset): site isolation, a
                // new frame host per document and proactive browsing-instance swaps would each give the next
                // job's document a new renderer process or frame, which is most of a job's cost; a page can
                // load nothing from another site anyway. The back/forward cache would keep a job's document
                // alive after the job.
                "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,"
                        + "InterestFeedContentSuggestions,WebUIOmniboxPopup,WebUIOmniboxAimPopup,"
                        + "site-per-process,IsolateOrigins,BackForwardCache,ProactivelySwapBrowsingInstance,RenderDocument",
                "--disable-site-isolation-trials",
                // Defence in depth behind request interception: a proxy that refuses, loopback not exempt.
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                // Pages in other contexts count as hidden; they must still paint and run timers at full speed.
                "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
                "--disable-renderer-backgrounding",
                // Same pixels everywhere: no scrollbars, sRGB output, one UI language.
                "--hide-scrollbars", "--force-color-profile=srgb", "--lang=en-US",
                "--js-flags=--max-old-space-size=" + (options.jsHeapBytes() >> 20));
    }

    @Override
    public RenderResult render(RenderRequest request, Path outputDir) {
        long start = System.nanoTime();
        Availability a = availability();
        if (!a.available()) {
            return RenderResult.failure(request.domain(), ErrorKind.RENDERER_UNAVAILABLE, a.detail(), millisSince(start));
        }
        long job = jobIds.incrementAndGet();
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RenderResult.failure(request.domain(), ErrorKind.RENDERER_CRASHED, "interrupted while waiting for the browser", millisSince(start));
        }
        memoryLimits.put(job, request.settings().memoryBytes());
        try {
            HtmlPageCapture.Limits limits = new HtmlPageCapture.Limits(options.maxPageHeight(), options.jsHeapBytes(),
                    request.settings().memoryBytes());
            for (int attempt = 0; ; attempt++) {
                ChromiumBrowser browser;
                try {
                    browser = lease();
                } catch (IOException e) {
                    return RenderResult.failure(request.domain(), ErrorKind.RENDERER_UNAVAILABLE, e.getMessage(), millisSince(start));
                }
                HtmlPageCapture.Outcome outcome = null;
                try {
                    HtmlPageCapture.PreparedPage page;
                    try {
                        page = browser.takePage(request.settings().width(), request.settings().height());
                    } catch (CdpConnection.CdpException | TimeoutException e) {
                        // Nothing of the page has run yet: not its fault, and worth one more try on a fresh browser.
                        String why = browser.healthy() ? "the browser did not set up a page: " + e.getMessage()
                                : "the browser died before the page was loaded: " + browser.diagnostics();
                        outcome = new HtmlPageCapture.Outcome(RenderResult.failure(request.domain(), ErrorKind.RENDERER_CRASHED,
                                why, millisSince(start)), true, true, null);
                        page = null;
                    }
                    if (page != null) {
                        outcome = HtmlPageCapture.run(browser, page, request, outputDir, limits, start);
                        if (outcome.reusable() != null) {
                            browser.recycle(outcome.reusable());
                        }
                    }
                } finally {
                    release(browser, outcome == null || outcome.browserBroken());
                }
                if (!outcome.retry() || attempt > 0) {
                    return outcome.result();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RenderResult.failure(request.domain(), ErrorKind.RENDERER_CRASHED, "interrupted during the render", millisSince(start));
        } finally {
            memoryLimits.remove(job);
            permits.release();
        }
    }

    /** The current browser, started (or replaced) if needed, with one more job counted against it. */
    private ChromiumBrowser lease() throws IOException, InterruptedException {
        List<ChromiumBrowser> dead = new ArrayList<>();
        try {
            synchronized (lock) {
                if (closed) {
                    throw new IOException("the html renderer is closed");
                }
                if (current != null && !current.healthy()) {
                    current.retiring = true;
                    live.remove(current);
                    dead.add(current);
                    current = null;
                }
                if (current == null) {
                    current = launch();
                    live.add(current);
                }
                ChromiumBrowser b = current;
                b.jobsStarted++;
                b.inFlight++;
                if (b.jobsStarted >= options.maxJobsPerBrowser()) {
                    // Recycled: no new jobs; closed when the jobs it has finish.
                    b.retiring = true;
                    current = null;
                }
                return b;
            }
        } finally {
            dead.forEach(ChromiumBrowser::kill);
        }
    }

    /** Counts a job as done on {@code b}; closes {@code b} when it is broken, or retiring and idle. */
    private void release(ChromiumBrowser b, boolean broken) {
        boolean bloated = !broken && b.rssBytes(RSS_MAX_AGE) > options.maxBrowserRssBytes();
        ChromiumBrowser toClose = null;
        boolean now = broken || !b.healthy();
        synchronized (lock) {
            b.inFlight--;
            if (now || bloated) {
                b.retiring = true;
                if (current == b) {
                    current = null;
                }
            }
            if (b.retiring && (now || b.inFlight == 0) && live.remove(b)) {
                toClose = b;
            }
        }
        if (toClose != null) {
            if (bloated) {
                LOG.log(System.Logger.Level.INFO, "recycling Chromium " + b.pid() + ": its processes hold more than "
                        + (options.maxBrowserRssBytes() >> 20) + " MiB");
            }
            if (now) {
                toClose.kill();
            } else {
                toClose.close();
            }
        }
    }

    /** Starts a browser on the launcher thread. Called under the lock. */
    private ChromiumBrowser launch() throws IOException, InterruptedException {
        if (scratchRoot == null) {
            if (sandbox.workerUid() >= 0) {
                requireTraversable(options.scratchDir().toAbsolutePath());
            }
            scratchRoot = newScratchRoot(options.scratchDir());
            ProcessHandle self = ProcessHandle.current();
            // Same owner file as the engine's scratch directories, so its reaper removes ours after a JVM crash.
            Files.writeString(scratchRoot.resolve("owner"), self.pid() + " " + self.info().startInstant().map(Object::toString).orElse("?"));
            Files.setPosixFilePermissions(scratchRoot, PosixFilePermissions.fromString("rwx--x--x"));
        }
        if (!watching) {
            watching = true;
            watchdog.scheduleWithFixedDelay(this::watchMemory, WATCHDOG_PERIOD.toMillis(), WATCHDOG_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        }
        int serial = browserSerial.incrementAndGet();
        Path scratch = Files.createDirectories(scratchRoot.resolve("b" + serial));
        // Chromium puts a Unix socket under $TMPDIR (scratch/tmp); such paths must fit in 108 bytes.
        String socket = scratch.resolve("tmp/org.chromium.Chromium.XXXXXX/SingletonSocket").toString();
        if (socket.getBytes(StandardCharsets.UTF_8).length > 107) {
            throw new IOException("the scratch directory " + options.scratchDir() + " is too deep for Chromium's socket path ("
                    + socket + "); choose a shorter one");
        }
        try {
            ChromiumBrowser b = launcher.submit(() -> ChromiumBrowser.launch(serial, binary, flags(), sandbox, scratch,
                    options.sparePages(), beginFrames(), options.startTimeout())).get();
            browsersStarted.incrementAndGet();
            return b;
        } catch (ExecutionException e) {
            Directories.delete(scratch);
            String hint = sandbox.level() == Sandbox.Level.BUBBLEWRAP ? "; to run Chromium without bubblewrap, set RENDERLOOP_SANDBOX=limits" : "";
            throw new IOException((e.getCause() instanceof IOException io ? io.getMessage() : "Chromium did not start: " + e.getCause())
                    + hint, e.getCause());
        }
    }

    /** The browser runs as another user, who must be able to reach its scratch directory. */
    private static void requireTraversable(Path dir) throws IOException {
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("the browser runs as uid " + Sandbox.NOBODY + ", which cannot enter " + p
                        + " on the way to the scratch directory " + dir + "; choose a scratch directory it can reach");
            }
        }
    }

    /** A short, fresh directory: Chromium's socket paths under it are limited to 108 bytes. */
    private static Path newScratchRoot(Path parent) throws IOException {
        Files.createDirectories(parent);
        java.util.Random random = new java.security.SecureRandom();
        for (int i = 0; ; i++) {
            Path dir = parent.resolve(String.format("renderloop-html-%08x", random.nextInt()));
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (i > 100) {
                    throw e;
                }
            }
        }
    }

    /** Kills page renderer processes that pass the memory limit of the jobs in flight. */
    private void watchMemory() {
        try {
            List<ChromiumBrowser> busy;
            synchronized (lock) {
                busy = live.stream().filter(b -> b.inFlight > 0).toList();
            }
            long limit = memoryLimits.values().stream().mapToLong(Long::longValue).max().orElse(Long.MAX_VALUE);
            for (ChromiumBrowser b : busy) {
                b.handle().descendants().forEach(p -> {
                    long rss = ProcessTree.rssBytes(p.pid());
                    if (rss > limit) {
                        String cmd = ProcessTree.cmdline(p.pid());
                        // Only pages' renderers: the browser's own UI renderers are not the page's doing.
                        if (cmd.contains("--type=renderer") && !cmd.contains("--top-chrome-webui")) {
                            p.destroyForcibly();
                            b.noteMemoryKill(p.pid(), rss);
                        }
                    }
                });
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "memory watchdog: " + e);
        }
    }

    /** PID of the current browser, if one runs (tests kill it). */
    OptionalLong browserPid() {
        synchronized (lock) {
            return current == null ? OptionalLong.empty() : OptionalLong.of(current.pid());
        }
    }

    /** Jobs of the current browser that ran on a page reset after an earlier job (tests check reuse happened). */
    long pagesReused() {
        synchronized (lock) {
            return current == null ? 0 : current.pagesReused();
        }
    }

    /** Browsers started so far (restarts and recycles included). */
    int browsersStarted() {
        return browsersStarted.get();
    }

    /** The renderer's scratch directory (every browser's profile lies under it), or null before the first start. */
    Path scratchRoot() {
        synchronized (lock) {
            return scratchRoot;
        }
    }

    /** Kills every browser (jobs still in flight end as {@link ErrorKind#RENDERER_CRASHED}); idempotent. */
    @Override
    public void close() {
        List<ChromiumBrowser> browsers;
        Path scratch;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            browsers = new ArrayList<>(live);
            live.clear();
            current = null;
            scratch = scratchRoot;
        }
        browsers.forEach(ChromiumBrowser::close);
        watchdog.shutdownNow();
        launcher.shutdownNow();
        if (scratch != null) {
            try {
                Directories.delete(scratch);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot delete " + scratch + ": " + e.getMessage());
            }
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
