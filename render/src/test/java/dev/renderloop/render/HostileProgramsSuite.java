package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile-program corpus, a conformance suite run once per sandbox level: each program is
 * contained and classified, the engine keeps serving afterwards, and no process is left behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HostileProgramsSuite {
    RenderEngine engine;

    /** The engine under test, with the sandbox level the subclass checks. */
    abstract RenderEngine newEngine();
    static final RenderSettings LIMITS = RenderSettings.MATPLOTLIB_DEFAULTS
            .withTimeout(Duration.ofSeconds(12)).withMemoryBytes(1L << 30).withMaxFileBytes(32L << 20)
            .withMaxOutputBytes(64L << 20);

    @BeforeAll
    void start() {
        engine = newEngine();
        engine.warmUp("matplotlib", 2);
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    @AfterEach
    void engineStillServesAndNothingIsLeftBehind() throws InterruptedException {
        assertEquals(List.of(), TestEngines.strayProcessesSettled(), "processes left behind");
        RenderResult after = engine.render(new RenderRequest("matplotlib", TestEngines.GOOD_CHART, LIMITS));
        assertTrue(after.ok(), "engine must keep serving: " + after.error());
    }

    static Stream<Arguments> corpus() {
        return Stream.of(
                Arguments.of("infinite loop", "while True:\n    pass\n", Set.of(ErrorKind.TIMEOUT)),
                Arguments.of("sleeps past the timeout", "import time\ntime.sleep(3600)\n", Set.of(ErrorKind.TIMEOUT)),
                Arguments.of("fork bomb", "import os\nwhile True:\n    os.fork()\n",
                        Set.of(ErrorKind.RUNTIME_ERROR, ErrorKind.TIMEOUT)),
                Arguments.of("fork bomb that escapes its process group",
                        "import os\nwhile True:\n    if os.fork() == 0:\n        os.setsid()\n",
                        Set.of(ErrorKind.RUNTIME_ERROR, ErrorKind.TIMEOUT)),
                Arguments.of("memory bomb", "x = bytearray(1)\nwhile True:\n    x = x + x\n", Set.of(ErrorKind.MEMORY_LIMIT)),
                Arguments.of("writes 1 GB to a file",
                        "with open('out.bin', 'wb') as f:\n    for _ in range(1024):\n        f.write(b'\\0' * (1 << 20))\n",
                        Set.of(ErrorKind.OUTPUT_TOO_LARGE)),
                Arguments.of("writes 1 GB to stdout",
                        "import sys\nfor _ in range(1024):\n    sys.stdout.write('y' * (1 << 20))\n",
                        Set.of(ErrorKind.OUTPUT_TOO_LARGE)),
                Arguments.of("many files adding up past the output limit",
                        "for i in range(40):\n    open('out/f%d.bin' % i, 'wb').write(b'z' * (3 << 20))\n"
                                + "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
                        Set.of(ErrorKind.OUTPUT_TOO_LARGE)),
                Arguments.of("daemon that outlives the job (double fork + setsid), then renders",
                        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(3600)\n    os._exit(0)\n"
                                + "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
                        Set.of()),
                Arguments.of("background subprocess in a new session, then renders",
                        "import subprocess\nsubprocess.Popen(['sleep', '3600'], start_new_session=True)\n"
                                + "import matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
                        Set.of()),
                Arguments.of("forged result pointing at a symlink to a secret and at /etc/shadow",
                        String.join("\n",
                                "import os, sys",
                                "os.symlink('/etc/shadow', 'out/frame.png')",
                                "worker = sys.modules['__main__']",
                                "real_write = worker.write_result",
                                "def forged(job_dir, result):",
                                "    real_write(job_dir, {'status': 'ok', 'frames': [os.path.abspath('out/frame.png')],",
                                "                         'media': '/etc/shadow', 'last_frame': None})",
                                "worker.write_result = forged",
                                "import matplotlib.pyplot as plt",
                                "plt.plot([1, 2])", ""),
                        Set.of(ErrorKind.RUNTIME_ERROR)));
    }

    /** An empty expected set means the program must render (its side effects contained). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void hostileProgram_isContainedAndClassified(String name, String code, Set<ErrorKind> expected) {
        int workersBefore = engine.workersStarted("matplotlib");
        long start = System.nanoTime();
        RenderResult r = engine.render(new RenderRequest("matplotlib", code, LIMITS));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(workersBefore, engine.workersStarted("matplotlib"),
                name + ": the worker must contain the job itself; the JVM had to kill and replace it");
        if (expected.isEmpty()) {
            assertTrue(r.ok(), name + ": " + r.error());
        } else {
            assertTrue(expected.contains(r.errorKind()), name + ": got " + r.errorKind() + ": " + r.error());
        }
        // Liveness, not speed: a contained job is settled (killed, cleaned up, answered) promptly after
        // its limit. A cleanup that lets a fork bomb outgrow it took 19.7 s here with a 4 s limit.
        double bound = LIMITS.timeout().toSeconds() + 10;
        assertTrue(seconds < bound, name + " took " + seconds + " s; limits must bound every job to " + bound + " s");
    }

    @Test
    void networkSocket_cannotReachAServerOnTheHostLoopback() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(500);
            String code = "import socket\nsocket.create_connection(('127.0.0.1', " + server.getLocalPort() + "), timeout=2)\n";
            RenderResult r = engine.render(new RenderRequest("matplotlib", code, LIMITS));
            assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
            assertTrue(r.error().contains("Error"), r.error());
            try (var ignored = server.accept()) {
                throw new AssertionError("the sandboxed program reached the host's loopback");
            } catch (SocketTimeoutException expectedNoConnection) {
                // nothing connected
            }
        }
    }

    @Test
    void readingAPrivateFileOutsideTheSandbox_fails() throws Exception {
        Path dir = Files.createTempDirectory("renderloop-secret");
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-42");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        try {
            Assumptions.assumeTrue(Sandbox.isRoot() || !engine.sandboxDescription().startsWith("bubblewrap not"),
                    "no bubblewrap and not root: the worker runs as the owner of the file");
            RenderResult r = engine.render(new RenderRequest("matplotlib",
                    "print(open('" + secret + "').read())\n", LIMITS));
            assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
            assertTrue(r.error().contains("FileNotFoundError") || r.error().contains("PermissionError"), r.error());
            assertFalse(r.error().contains("TOP-SECRET") || r.log().contains("TOP-SECRET"));
        } finally {
            Files.delete(secret);
            Files.delete(dir);
        }
    }

    @Test
    void environment_holdsOnlyTheAllowlist() {
        String code = String.join("\n",
                "import os",
                "allowed = {'PATH', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR', 'MPLCONFIGDIR', 'XDG_CACHE_HOME', 'TEXMFVAR',",
                "           'PYTHONDONTWRITEBYTECODE', 'PYTHONHASHSEED', 'PYTHONUNBUFFERED', 'OPENBLAS_NUM_THREADS',",
                "           'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'GLIBC_TUNABLES',",
                "           'PWD'}  # set by bubblewrap's --chdir to the scratch directory",
                "extra = sorted(set(os.environ) - allowed)",
                "assert not extra, 'leaked environment: %s' % extra",
                "assert os.environ['GLIBC_TUNABLES'] == '" + PythonWorker.MALLOC_TUNABLES + "', os.environ['GLIBC_TUNABLES']",
                "assert os.environ['HOME'] == os.getcwd(), 'HOME is the job directory'",
                "import matplotlib.pyplot as plt",
                "plt.plot([1, 2])");
        RenderResult r = engine.render(new RenderRequest("matplotlib", code, LIMITS));
        assertTrue(r.ok(), r.error());
    }

    @Test
    void homeDirectories_areHiddenUnderBubblewrap() {
        Assumptions.assumeTrue(engine.sandboxDescription().startsWith("bubblewrap ("), engine.sandboxDescription());
        String code = String.join("\n",
                "import os",
                "for d in ('/root', '/home', '/work', '/opt', '/srv', '/mnt'):",
                "    assert not os.path.exists(d) or os.listdir(d) == [], (d, os.listdir(d))",
                "import matplotlib.pyplot as plt",
                "plt.plot([1, 2])");
        RenderResult r = engine.render(new RenderRequest("matplotlib", code, LIMITS));
        assertTrue(r.ok(), r.error());
    }
}
