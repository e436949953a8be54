package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every error kind, each produced by a real program on the real worker. */
class ErrorKindsIT {
    static RenderEngine engine;
    static final RenderSettings FAST = RenderSettings.MATPLOTLIB_DEFAULTS.withTimeout(Duration.ofSeconds(3));

    @BeforeAll
    static void start() {
        engine = TestEngines.plain(2);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static RenderResult render(String code) {
        return engine.render(new RenderRequest("matplotlib", code, FAST));
    }

    @Test
    void noCode() {
        assertEquals(ErrorKind.NO_CODE, render("\n   \n").errorKind());
    }

    @Test
    void badInput() {
        assertEquals(ErrorKind.BAD_INPUT, render("import os\0").errorKind());
    }

    @Test
    void syntaxError_pointsAtTheLineInScenePy() {
        RenderResult r = render("import matplotlib.pyplot as plt\ndef f(:\n    pass\n");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind());
        assertTrue(r.error().contains("File \"scene.py\", line 2"), r.error());
        assertTrue(r.error().contains("SyntaxError"), r.error());
    }

    @Test
    void noScene() {
        assertEquals(ErrorKind.NO_SCENE, render("x = [i * i for i in range(10)]\n").errorKind());
    }

    @Test
    void runtimeError_hasACleanTracebackTail() {
        RenderResult r = render(String.join("\n",
                "import matplotlib.pyplot as plt",
                "def colour():",
                "    raise ValueError('unknown colour: blurple')",
                "plt.plot([1, 2], color=colour())"));
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
        assertTrue(r.error().startsWith("Traceback (most recent call last):\n  File \"scene.py\", line 4, in <module>"),
                "the worker's own frames are cut, the program's frames come first: " + r.error());
        assertFalse(r.error().lines().anyMatch(l -> !l.isBlank() && l.strip().chars().allMatch(c -> c == '^' || c == '~')),
                "caret marker lines are dropped: " + r.error());
        assertTrue(r.error().contains("File \"scene.py\", line 4, in <module>"), r.error());
        assertTrue(r.error().contains("File \"scene.py\", line 3, in colour"), r.error());
        assertTrue(r.errorTail(1).equals("ValueError: unknown colour: blurple"), r.error());
        assertFalse(r.error().contains("worker.py") || r.error().contains(WorkerPackage.NAME),
                "worker frames are removed: " + r.error());
        assertFalse(r.error().contains("/tmp/"), "sandbox paths are removed: " + r.error());
    }

    @Test
    void runtimeError_insideALibrary_showsThePackagePathNotTheSitePackagesPrefix() {
        RenderResult r = render("import matplotlib.pyplot as plt\nplt.plot([1, 2], color='blurple')\n");
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
        assertTrue(r.error().contains("File \"matplotlib/"), r.error());
        assertFalse(r.error().contains("dist-packages/"), r.error());
    }

    @Test
    void timeout() {
        long start = System.nanoTime();
        RenderResult r = render("import time\ntime.sleep(60)\n");
        assertEquals(ErrorKind.TIMEOUT, r.errorKind());
        assertTrue(r.error().contains("3 s"), r.error());
        assertTrue((System.nanoTime() - start) / 1e9 < 20, "the job is killed at its limit, not waited for");
    }

    @Test
    void memoryLimit() {
        // Filling 1 GiB takes 3-4 s of page faults on some of our 2-core machines: the limit under test is memory,
        // so the deadline is generous.
        RenderSettings oneGiB = FAST.withMemoryBytes(1L << 30).withTimeout(Duration.ofSeconds(30));
        RenderResult r = engine.render(new RenderRequest("matplotlib", "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n", oneGiB));
        assertEquals(ErrorKind.MEMORY_LIMIT, r.errorKind(), r.error());
    }

    @Test
    void outputTooLarge() {
        RenderSettings small = FAST.withMaxFileBytes(8L << 20);
        RenderResult r = engine.render(new RenderRequest("matplotlib",
                "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (64 << 20))\n", small));
        assertEquals(ErrorKind.OUTPUT_TOO_LARGE, r.errorKind(), r.error());
        assertTrue(r.error().contains("file-size limit"), r.error());
    }

    @Test
    void rendererUnavailable_missingInterpreter() {
        try (RenderEngine broken = RenderEngine.builder().noCache().python(Path.of("/nonexistent/python3")).build()) {
            RenderResult r = broken.render(RenderRequest.of("matplotlib", TestEngines.GOOD_CHART));
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, r.errorKind());
            assertTrue(r.error().contains("/nonexistent/python3"), r.error());
        }
    }

    @Test
    void rendererUnavailable_missingLibrary() {
        // Debian's python3 has no manim here; where a real Manim is installed this case is moot.
        try (RenderEngine e = TestEngines.plain(1)) {
            org.junit.jupiter.api.Assumptions.assumeFalse(e.availability("manim").available(), "a real manim is installed");
            RenderResult r = e.render(RenderRequest.of("manim", "from manim import *\n"));
            assertEquals(ErrorKind.RENDERER_UNAVAILABLE, r.errorKind());
            assertTrue(r.error().contains("pip install manim"), r.error());
        }
    }

    @Test
    void aProgramCannotKillItsWorker_andTheNextRenderSucceeds() {
        // The job runs as pid 1 of its own PID namespace: its parent is outside it (getppid() is 0), so
        // os.kill(os.getppid(), SIGKILL) signals only the job's own process group, never the worker.
        RenderResult r = render("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time\ntime.sleep(5)\n");
        assertFalse(r.ok(), "the program killed itself: " + r.error());
        assertNotEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
        assertTrue(render(TestEngines.GOOD_CHART).ok());
    }

    @Test
    void aProgramThatSignalsItself_endsAsAProcessWould_notAtItsDeadline() {
        // The isolated job process is pid 1 of its PID namespace, which the kernel shields from its own signals.
        for (String sig : java.util.List.of("SIGTERM", "SIGUSR1", "SIGALRM")) {
            long start = System.nanoTime();
            RenderResult r = render("import os, signal, time\nos.kill(os.getpid(), signal." + sig + ")\ntime.sleep(5)\n");
            assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind(), sig + ": " + r.error());
            assertTrue(r.error().contains("killed by signal " + sig), r.error());
            assertTrue(System.nanoTime() - start < 2_500_000_000L, sig + " took until the deadline");
        }
        RenderResult handled = render(String.join("\n", "import os, signal",
                "signal.signal(signal.SIGUSR1, lambda *a: print('HANDLED'))",
                "os.kill(os.getpid(), signal.SIGUSR1)",
                TestEngines.GOOD_CHART));
        assertTrue(handled.ok(), handled.error());
        assertTrue(handled.log().contains("HANDLED"), handled.log());
    }

    @Test
    void aProgramOverItsCpuTimeLimit_isATimeout_evenInsideACLoop() {
        // CPU time is limited per process at the deadline + 2 s: threads that hash in C (the GIL released) spend
        // it faster than the wall clock. Whichever limit comes first, the job is a timeout, not a memory kill.
        RenderResult r = engine.render(new RenderRequest("matplotlib", String.join("\n",
                "import hashlib, threading",
                "data = bytes(16 << 20)",
                "def burn():",
                "    while True:",
                "        hashlib.sha256(data).digest()",
                "for _ in range(4):",
                "    threading.Thread(target=burn, daemon=True).start()",
                "burn()", ""), FAST.withTimeout(Duration.ofSeconds(6))));
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
    }
}
