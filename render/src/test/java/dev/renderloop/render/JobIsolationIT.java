package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-job isolation (issue 14): each attack family runs as a hostile job in ONE warm matplotlib
 * worker, then a benign job runs in that same worker; its frame must be byte-identical to the frame
 * of a fresh engine. A hostile job that reached the warm parent, left files for the next job or took
 * its directory would change or break that frame.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobIsolationIT {
    static final RenderSettings LIMITS = RenderSettings.MATPLOTLIB_DEFAULTS
            .withTimeout(Duration.ofSeconds(8)).withMemoryBytes(1L << 30).withMaxFileBytes(32L << 20)
            .withMaxOutputBytes(64L << 20);
    /** The benign job reads every place an earlier job could have written, and draws what it found. */
    static final String BENIGN = String.join("\n",
            "import os, glob",
            "found = []",
            "for d in ('/tmp', '/var/tmp', '/dev/shm', os.environ['HOME'], os.environ['TMPDIR'], '..'):",
            "    found += sorted(n for n in os.listdir(d) if 'planted' in n)",
            "import matplotlib.pyplot as plt",
            "fig, ax = plt.subplots()",
            "ax.plot([0, 1, 2], [0, 1, 4])",
            "ax.set_title('found: %s' % found)",
            "plt.savefig('out.png')", "");
    RenderEngine warm;
    byte[] fresh;

    @BeforeAll
    void start() throws IOException {
        try (RenderEngine engine = TestEngines.plain(1)) {
            RenderResult r = engine.render(new RenderRequest("matplotlib", BENIGN, LIMITS));
            assertTrue(r.ok(), r.error());
            fresh = Files.readAllBytes(r.lastFrame());
        }
        warm = TestEngines.plain(1);
        warm.warmUp("matplotlib", 1);
    }

    @AfterAll
    void stop() {
        warm.close();
    }

    static Stream<Arguments> attacks() {
        return Stream.of(
                Arguments.of("writes the warm parent's memory through /proc/<ppid>/mem", String.join("\n",
                        "import os",
                        "for pid in {os.getppid(), 1, 2, 3}:",
                        "    try:",
                        "        with open('/proc/%d/mem' % pid, 'r+b') as f:",
                        "            f.seek(0x400000); f.write(b'\\0' * 4096)",
                        "        print('WROTE', pid)",
                        "    except OSError as e:",
                        "        print('blocked', pid, e)", "")),
                Arguments.of("ptrace-attaches to the parent and reads it with process_vm_readv", String.join("\n",
                        "import ctypes, os",
                        "libc = ctypes.CDLL(None, use_errno=True)",
                        "for pid in (os.getppid(), 1, 2):",
                        "    assert libc.ptrace(16, pid, 0, 0) != 0, 'ptrace attach worked'",
                        "buf = ctypes.create_string_buffer(16)",
                        "iov = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 16)",
                        "assert libc.process_vm_readv(2, iov, 1, iov, 1, 0) < 0", "")),
                Arguments.of("plants files in every writable place", String.join("\n",
                        "import os",
                        "for d in ('/tmp', '/var/tmp', '/dev/shm', os.environ['HOME'], os.environ['TMPDIR'], '..', '../..'):",
                        "    try:",
                        "        open(os.path.join(d, 'planted.txt'), 'w').write('x')",
                        "    except OSError:",
                        "        pass", "")),
                Arguments.of("pre-creates the next job directories", String.join("\n",
                        "import os",
                        "for name in ['job-%d' % i for i in range(100)] + ['planted']:",
                        "    for d in ('..', '../..', '../../jobs'):",
                        "        try:",
                        "            os.makedirs(os.path.join(d, name))",
                        "        except OSError:",
                        "            pass", "")),
                Arguments.of("fills the disk with many files", String.join("\n",
                        "import os",
                        "for d in ('.', '/tmp', '/dev/shm', '/var/tmp'):",
                        "    for i in range(30):",
                        "        try:",
                        "            open(os.path.join(d, 'planted%d' % i), 'wb').write(b'z' * (30 << 20))",
                        "        except OSError:",
                        "            break", "")),
                Arguments.of("turns its log and result files into FIFOs", String.join("\n",
                        "import os",
                        "for name in ('log.txt', '.result.json', '.result.json.tmp'):",
                        "    try:",
                        "        os.unlink(name)",
                        "    except OSError:",
                        "        pass",
                        "    os.mkfifo(name)", "")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void hostileJob_thenBenignJobInTheSameWorker_rendersAsAFreshEngine(String name, String code) throws IOException {
        int workers = warm.workersStarted("matplotlib");
        RenderResult hostile = warm.render(new RenderRequest("matplotlib", code, LIMITS));
        assertFalse(hostile.log().contains("WROTE"), name + ": " + hostile.log());
        assertFalse(hostile.error().contains("attach worked"), name + ": " + hostile.error());
        RenderResult benign = warm.render(new RenderRequest("matplotlib", BENIGN, LIMITS));
        assertTrue(benign.ok(), name + ": " + benign.error());
        assertArrayEquals(fresh, Files.readAllBytes(benign.lastFrame()), name + ": the next job's frame changed");
        assertTrue(warm.workersStarted("matplotlib") == workers, name + ": the worker had to be replaced");
    }

    @ParameterizedTest(name = "canary {0}")
    @MethodSource("canaryPlaces")
    void hostPathsOutsideTheAllowlist_areInvisible(String where, @TempDir Path unused) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(warm.sandboxDescription().startsWith("bubblewrap ("),
                "the allowlist needs bubblewrap: " + warm.sandboxDescription());
        Path dir = Files.createTempDirectory(Path.of(where), "renderloop-canary");
        Path canary = dir.resolve("canary.txt");
        Files.writeString(canary, "CANARY-7731");  // world-readable: only the allowlist can hide it
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        try {
            RenderResult r = warm.render(new RenderRequest("matplotlib",
                    "print(open('" + canary + "').read())\n", LIMITS));
            assertFalse(r.ok(), "read " + canary);
            assertFalse(r.error().contains("CANARY-7731") || r.log().contains("CANARY-7731"), r.error());
        } finally {
            Files.delete(canary);
            Files.delete(dir);
        }
    }

    static Stream<String> canaryPlaces() {
        // The project tree (not on the allowlist) and the system temp directory (the worker sees only its own).
        return Stream.of(Path.of("target").toAbsolutePath().toString(), System.getProperty("java.io.tmpdir"));
    }
}
