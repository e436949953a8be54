package dev.renderloop.render;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Shared set-up for the *IT suites: engines on the real Python worker, and a process census. */
final class TestEngines {
    private TestEngines() {
    }

    /** The test double of Manim (src/test/resources/fake-manim), for the manim driver's tests. */
    static Path fakeManim() {
        try {
            return Path.of(Objects.requireNonNull(TestEngines.class.getResource("/fake-manim/manim/__init__.py")).toURI())
                    .getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An engine without cache whose manim domain is the test double. */
    static RenderEngine withFakeManim(int workers) {
        return RenderEngine.builder().noCache().workers(workers).pythonPath(List.of(fakeManim())).build();
    }

    static RenderEngine plain(int workers) {
        return RenderEngine.builder().noCache().workers(workers).build();
    }

    /**
     * Processes descended from this JVM that are not part of a render worker. Allowed between jobs:
     * setpriv/bwrap, the worker parents (a {@code worker.py} process whose parent is not one), a
     * waiting spare job process (named {@code rl-job-spare}), and the tikz driver's two fork servers,
     * children of a worker parent: pdflatex reading
     * {@code wait.tex} and a bare {@code pdftoppm} (no arguments: its main() never runs). Their
     * per-job copies are children of the servers, so a copy left between jobs counts as a stray.
     * Anything else, including a forked job child (which carries the worker's command line), is an
     * orphan the sandbox let live.
     */
    static List<String> strayProcesses() {
        List<String> stray = new ArrayList<>();
        ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).forEach(p -> {
            String cmd = cmdline(p.pid());
            String parent = p.parent().map(pp -> cmdline(pp.pid())).orElse("");
            boolean launcher = isLauncher(cmd);
            boolean parentIsWorker = parent.contains("worker.py") && !isLauncher(parent);
            boolean workerParent = cmd.contains("worker.py") && !parentIsWorker;
            boolean tikzServer = parentIsWorker
                    && (cmd.contains("pdflatex") && cmd.endsWith("wait.tex") || cmd.equals("/usr/bin/pdftoppm"));
            // A spare job process waiting for its job (renderloop_worker/spares.py): a child of the worker parent
            // named so until its job comes, when it takes the usual name.
            boolean spare = parentIsWorker && cmd.contains("worker.py") && comm(p.pid()).equals("rl-job-spare");
            if (!(launcher || workerParent || tikzServer || spare || cmd.isEmpty())) {
                stray.add(p.pid() + ": " + cmd + " (parent: " + parent + ")");
            }
        });
        return stray;
    }

    private static boolean isLauncher(String cmd) {
        return cmd.startsWith("bwrap") || cmd.startsWith("/usr/bin/bwrap") || cmd.contains("setpriv");
    }

    /** The name of a process (/proc/PID/comm); empty if unreadable or gone. */
    static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** The command line of a process from /proc, arguments joined by spaces; empty if unreadable or gone. */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits briefly for processes being reaped to disappear, then returns the strays. */
    static List<String> strayProcessesSettled() throws InterruptedException {
        List<String> stray = strayProcesses();
        for (int i = 0; i < 20 && !stray.isEmpty(); i++) {
            Thread.sleep(100);
            stray = strayProcesses();
        }
        return stray;
    }

    static final String GOOD_CHART = String.join("\n",
            "import matplotlib.pyplot as plt",
            "fig, ax = plt.subplots()",
            "ax.plot([0, 1, 2], [0, 1, 4])",
            "plt.savefig('out.png')");
}
