package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One running headless Chromium and its DevTools connection, in its own scratch directory (profile,
 * temporary files), inside the project's {@link Sandbox} (and, without bubblewrap, in a network
 * namespace of its own where root may make one).
 *
 * <p>The debugging pipe needs the browser's fds 3 and 4, which Java cannot hand to a child. A
 * {@code /bin/sh} in front does it and then {@code exec}s the browser, so no relay process stays
 * between them: the process's stdin becomes fd 3 and its stdout fd 4. No TCP port is opened, so no
 * other local process can drive the browser, and the pipe is a dead-man's switch: when the JVM dies
 * the browser reads EOF and exits.
 *
 * <p>Thread-safe. The renderer keeps the bookkeeping fields ({@code jobsStarted}, {@code inFlight},
 * {@code retiring}) under its own lock.
 */
final class ChromiumBrowser implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration KILL_GRACE = Duration.ofSeconds(2);

    private final int serial;
    private final Process process;
    private final CdpConnection cdp;
    private final Path scratch;
    private final PythonWorker.StderrTail stderr = new PythonWorker.StderrTail(32 * 1024);
    /** Out-of-memory signs: V8 OOM lines on stderr and renderer processes killed by the memory watchdog. */
    private final AtomicLong memoryEvents = new AtomicLong();
    private volatile boolean closed;
    private long rss;  // guarded by this
    private long rssMeasuredAt;  // guarded by this
    private volatile boolean wedged;

    /**
     * Idle pages, ready for a job: new ones prepared ahead, and used ones after their reset. New ones
     * are prepared while fewer than {@link #sparePages} are idle, being prepared or being reset.
     */
    private final BlockingQueue<HtmlPageCapture.PreparedPage> spares = new LinkedBlockingQueue<>();
    private int sparesPreparing;  // guarded by spares
    private int pagesResetting;  // guarded by spares
    private final int sparePages;
    /** Pages draw only when asked ({@code HeadlessExperimental.beginFrame}, the headless shell's protocol). */
    private final boolean beginFrames;
    /** One asked-for frame at a time (see {@link HtmlPageCapture}'s frame requests). */
    private final java.util.concurrent.Semaphore frames = new java.util.concurrent.Semaphore(1);
    private final AtomicLong pagesReused = new AtomicLong();
    /** Viewport of the last job: spares are made at that size, which is nearly always the next job's too. */
    private volatile long lastSize = -1;

    // Bookkeeping of the renderer, guarded by its lock (read without it by the spare-page logic).
    int jobsStarted;
    int inFlight;
    volatile boolean retiring;

    private ChromiumBrowser(int serial, Process process, Path scratch, int sparePages, boolean beginFrames) {
        this.serial = serial;
        this.sparePages = sparePages;
        this.beginFrames = beginFrames;
        this.process = process;
        this.scratch = scratch;
        this.cdp = new CdpConnection(process.getInputStream(), process.getOutputStream(), Integer.toString(serial));
        Thread.ofPlatform().daemon().name("chromium-stderr-" + serial).start(this::drainStderr);
    }

    /**
     * Launches a browser and waits until it answers over the pipe. Must be called from a thread that
     * outlives the browser: bubblewrap's {@code --die-with-parent} ties the sandbox to the thread
     * that started it, not to the JVM.
     *
     * @param serial  a number for thread names and the scratch directory
     * @param binary  the browser executable (not a launcher script)
     * @param flags   command-line flags; the profile directory and the pipe are added here
     * @param sandbox how to confine the browser
     * @param scratch a fresh directory the browser may write to; deleted when the browser is closed
     * @param sparePages pages to keep prepared ahead of jobs (see {@link #takePage})
     * @param beginFrames whether the flags enable begin-frame control ({@code --enable-begin-frame-control}):
     *                    pages are then made to draw only when asked
     * @throws IOException the browser could not be started or did not answer within {@code timeout};
     *                     the message carries the tail of its stderr
     */
    static ChromiumBrowser launch(int serial, Path binary, List<String> flags, Sandbox sandbox, Path scratch,
                                  int sparePages, boolean beginFrames, Duration timeout) throws IOException {
        int uid = sandbox.workerUid();
        for (String dir : List.of("profile", "tmp", ".cache", ".config")) {
            PythonWorker.own(Files.createDirectories(scratch.resolve(dir)), uid);
        }
        PythonWorker.own(scratch, uid);
        List<String> inner = new ArrayList<>(List.of("/bin/sh", "-c",
                // stdin -> fd 3 (commands), stdout -> fd 4 (answers); the browser's own output goes to stderr.
                "exec \"$@\" 3<&0 4>&1 0</dev/null 1>&2", "sh", binary.toString()));
        inner.addAll(flags);
        inner.add("--user-data-dir=" + scratch.resolve("profile"));
        inner.add("--remote-debugging-pipe");
        inner.add("about:blank");
        Map<String, String> env = Sandbox.environment(scratch);
        env.put("XDG_CONFIG_HOME", scratch.resolve(".config").toString());
        List<String> command = new ArrayList<>();
        if (sandbox.level() != Sandbox.Level.BUBBLEWRAP && netUnshare()) {
            // Without bubblewrap, root can still give the browser a network namespace of its own (no interfaces up).
            command.addAll(List.of(UNSHARE, "--net"));
        }
        command.addAll(sandbox.wrap(inner, scratch, List.of(binary.toAbsolutePath().getParent()), env));
        ProcessBuilder pb = new ProcessBuilder(command).directory(scratch.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        ChromiumBrowser browser = new ChromiumBrowser(serial, pb.start(), scratch, sparePages, beginFrames);
        try {
            // The first answer says the browser is up and the pipe works.
            browser.cdp.call("Browser.getVersion", null, "", timeout);
            // Downloads would write into the profile; pages have no business saving files.
            browser.cdp.call("Browser.setDownloadBehavior", JSON.createObjectNode().put("behavior", "deny"), "", timeout);
            browser.closePopups(timeout);
            return browser;
        } catch (CdpConnection.CdpException | TimeoutException e) {
            String why = browser.diagnostics();
            browser.kill();
            throw new IOException("Chromium did not start (" + e.getMessage() + "): " + why, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            browser.kill();
            throw new IOException("interrupted while starting Chromium", e);
        }
    }

    /**
     * A page for one job: an idle one if one is ready or about to be (a reset takes milliseconds, a new
     * page a renderer process), else one made now at {@code width} x {@code height}. Either way
     * another page starts being prepared in the background if fewer than {@link #sparePages} are idle
     * or on their way, unless the browser is retiring. A page's viewport may differ from the job's;
     * the job then sets its own.
     *
     * @throws CdpConnection.CdpException the browser refused or is gone
     * @throws TimeoutException           the browser did not set the page up in time
     */
    HtmlPageCapture.PreparedPage takePage(int width, int height) throws CdpConnection.CdpException, TimeoutException, InterruptedException {
        lastSize = ((long) width << 32) | height;
        HtmlPageCapture.PreparedPage page;
        while ((page = nextIdle()) != null) {
            if (page.usable()) {
                prepareSpare();
                if (page.jobs() > 0) {
                    pagesReused.incrementAndGet();
                }
                return page;
            }
            discard(page);
        }
        prepareSpare();
        return HtmlPageCapture.prepare(cdp, width, height, beginFrames);
    }

    /** An idle page, waiting while one is being reset or prepared; null when none is idle or coming. */
    private HtmlPageCapture.PreparedPage nextIdle() throws InterruptedException {
        long until = System.nanoTime() + IDLE_PAGE_WAIT.toNanos();
        while (true) {
            HtmlPageCapture.PreparedPage page = spares.poll();
            if (page != null) {
                return page;
            }
            synchronized (spares) {
                if (pagesResetting + sparesPreparing == 0 || !healthy()) {
                    return null;
                }
            }
            long left = until - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            // Short polls: a reset or preparation that fails adds nothing to the queue.
            page = spares.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)), TimeUnit.NANOSECONDS);
            if (page != null) {
                return page;
            }
        }
    }

    /**
     * Takes back a page whose job succeeded: it is reset in the background ({@link HtmlPageCapture#reset})
     * and becomes idle again, or is disposed when the reset fails or the browser is retiring.
     */
    void recycle(HtmlPageCapture.PreparedPage page) {
        if (retiring || !healthy()) {
            discard(page);
            return;
        }
        synchronized (spares) {
            pagesResetting++;
        }
        Thread.ofVirtual().name("chromium-page-reset-" + serial).start(() -> {
            boolean reset = false;
            try {
                reset = HtmlPageCapture.reset(cdp, page);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                synchronized (spares) {
                    pagesResetting--;
                    if (reset && !retiring && healthy()) {
                        spares.add(page);
                    }
                }
                if (!reset || retiring) {
                    discard(page);
                }
            }
        });
    }

    /** Disposes a page's context without waiting; a browser that does not confirm it in time is marked wedged. */
    private void discard(HtmlPageCapture.PreparedPage page) {
        if (!healthy()) {
            return;
        }
        HtmlPageCapture.discard(cdp, page)
                .orTimeout(HtmlPageCapture.DISPOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, t) -> {
                    if (t instanceof TimeoutException) {
                        markWedged("a browser context was not disposed within " + HtmlPageCapture.DISPOSE_TIMEOUT.toSeconds() + " s");
                    }
                });
    }

    /** The permit to ask any page of this browser for a frame. */
    java.util.concurrent.Semaphore frames() {
        return frames;
    }

    /** Jobs that ran on a page reset after an earlier job. */
    long pagesReused() {
        return pagesReused.get();
    }

    /** Starts preparing a spare page on a virtual thread, if fewer than {@link #sparePages} are idle or coming. */
    private void prepareSpare() {
        if (retiring || !healthy()) {
            return;
        }
        synchronized (spares) {
            if (spares.size() + sparesPreparing + pagesResetting >= sparePages) {
                return;
            }
            sparesPreparing++;
        }
        Thread.ofVirtual().name("chromium-spare-page-" + serial).start(() -> {
            HtmlPageCapture.PreparedPage page = null;
            try {
                long size = lastSize;
                page = HtmlPageCapture.prepare(cdp, (int) (size >>> 32), (int) size, beginFrames);
            } catch (CdpConnection.CdpException | TimeoutException e) {
                // the browser is going away or overloaded; the next job prepares its own page
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                synchronized (spares) {
                    sparesPreparing--;
                    if (page != null) {
                        spares.add(page);
                    }
                }
            }
        });
    }

    /**
     * Closes every page that a page opens (window.open, target=_blank). {@code --block-new-web-contents}
     * already stops them in the headless shell and the popup blocker in the full browser; this is the
     * second line for browsers that honour neither. Such a page would escape the job's request
     * interception (the proxy and the sandbox still hold it).
     */
    private void closePopups(Duration timeout) throws CdpConnection.CdpException, TimeoutException, InterruptedException {
        cdp.subscribe("", event -> {
            JsonNode info = event.params() == null ? null : event.params().path("targetInfo");
            if ("Target.targetCreated".equals(event.method()) && info != null
                    && "page".equals(info.path("type").asText()) && !info.path("openerId").asText("").isEmpty()) {
                String target = info.path("targetId").asText();
                // Not from the reader thread: a write must never wait on the thread that drains the browser's answers.
                Thread.ofVirtual().start(() -> cdp.send("Target.closeTarget", JSON.createObjectNode().put("targetId", target), ""));
            }
        });
        ObjectNode discover = JSON.createObjectNode().put("discover", true);
        discover.putArray("filter").addObject().put("type", "page");
        cdp.call("Target.setDiscoverTargets", discover, "", timeout);
    }

    private static final String UNSHARE = "/usr/bin/unshare";
    /** How long a job waits for a page being reset or prepared before it makes its own. */
    private static final Duration IDLE_PAGE_WAIT = Duration.ofSeconds(3);
    private static volatile Boolean netUnshare;

    /** Whether {@code unshare --net} works here (root, util-linux, a kernel that allows it); probed once. */
    static boolean netUnshare() {
        Boolean known = netUnshare;
        if (known == null) {
            boolean works = false;
            if (Sandbox.isRoot() && Files.isExecutable(Path.of(UNSHARE))) {
                try {
                    Process p = new ProcessBuilder(UNSHARE, "--net", "/bin/true").redirectErrorStream(true).start();
                    works = p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
                    p.destroyForcibly();
                } catch (IOException e) {
                    works = false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            netUnshare = known = works;
        }
        return known;
    }

    CdpConnection cdp() {
        return cdp;
    }

    long pid() {
        return process.pid();
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Whether the process lives, its pipe is open, and it has not stopped confirming commands. */
    boolean healthy() {
        return !closed && !wedged && process.isAlive() && cdp.isOpen();
    }

    /** Records that the browser stopped doing what it was asked; it is then replaced. */
    void markWedged(String why) {
        wedged = true;
        stderr.note("renderloop: " + why);
    }

    long memoryEvents() {
        return memoryEvents.get();
    }

    /** Records that the memory watchdog killed one of this browser's renderer processes. */
    void noteMemoryKill(long pid, long rss) {
        memoryEvents.incrementAndGet();
        stderr.note("renderloop: killed renderer process " + pid + " at " + (rss >> 20) + " MiB resident (memory limit)");
    }

    /**
     * Sum of the resident sizes of the browser's process tree, measured at most once per
     * {@code maxAge}: listing the tree scans all of {@code /proc} (a few milliseconds), too much for
     * every job when the answer only decides a recycle. The first call always measures.
     */
    long rssBytes(Duration maxAge) {
        if (!process.isAlive()) {
            return 0;
        }
        long now = System.nanoTime();
        synchronized (this) {
            if (rssMeasuredAt != 0 && now - rssMeasuredAt < maxAge.toNanos()) {
                return rss;
            }
            rssMeasuredAt = now;
        }
        long measured = ProcessTree.rssBytes(process.toHandle());
        synchronized (this) {
            rss = measured;
        }
        return measured;
    }

    /** Exit status and the tail of the browser's stderr (D-Bus noise removed), for error messages. */
    String diagnostics() {
        String tail = stderr.text().lines()
                .filter(l -> !l.contains("dbus") && !l.isBlank())
                .reduce((a, b) -> a + "\n" + b).orElse("");
        String state = process.isAlive() ? "running" : "exit " + process.exitValue();
        return state + (cdp.closedReason() == null ? "" : "; " + cdp.closedReason())
                + (tail.isEmpty() ? "" : "; stderr: " + tail.substring(Math.max(0, tail.length() - 1500)));
    }

    private void drainStderr() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                // Chromium logs a V8 heap exhaustion before the renderer dies; the crash event itself says only "crashed".
                if (line.contains("V8 javascript OOM") || line.contains("Out of memory") || line.contains("V8 process OOM")) {
                    memoryEvents.incrementAndGet();
                }
                stderr.note(line.length() > 500 ? line.substring(0, 500) + "..." : line);
            }
        } catch (IOException ignored) {
            // the browser is gone
        }
    }

    /** Kills the whole process tree now and deletes the scratch directory. Idempotent. */
    void kill() {
        kill(ProcessTree.of(process.toHandle()));
    }

    private void kill(List<ProcessHandle> tree) {
        closed = true;
        cdp.close();
        ProcessTree.kill(tree, KILL_GRACE);
        deleteScratch();
    }

    /**
     * Asks the browser to quit ({@code Browser.close}), waits briefly, then kills whatever is left of
     * its tree. Idempotent.
     */
    @Override
    public void close() {
        // Listed first: once the browser has exited, its children can no longer be found from it.
        List<ProcessHandle> tree = ProcessTree.of(process.toHandle());
        if (!closed && cdp.isOpen() && process.isAlive()) {
            closed = true;
            try {
                cdp.call("Browser.close", null, "", Duration.ofSeconds(2));
            } catch (CdpConnection.CdpException | TimeoutException ignored) {
                // it may exit before answering; the kill below makes sure
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                process.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kill(tree);
    }

    private void deleteScratch() {
        try {
            Directories.delete(scratch);
        } catch (RuntimeException e) {
            // a straggler may still write into the profile; the renderer deletes its whole scratch root on close
        }
    }
}
