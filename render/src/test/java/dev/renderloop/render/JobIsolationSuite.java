package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-job isolation (issue 14), one domain per subclass: each attack family runs as a hostile job in
 * ONE warm worker, then the domain's benign jobs run in that same worker; their frames must be
 * byte-identical to those of a fresh engine. A hostile job that reached the warm parent (or a fork
 * server), left files for the next job or took its directory would change or break those frames.
 * A second test reads a canary file made outside the sandbox's allowlist.
 *
 * <p>A subclass says what its domain's programs are: the benign ones (each reads every place an
 * earlier job could have written, and draws what it found), the hostile ones per family, and a
 * program that reads a given file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JobIsolationSuite {
    /** Markers of the canary's text, as it is and as TeX's \pdffiledump would show it (hex). */
    static final String CANARY = "CANARY-7731";
    static final String CANARY_HEX = "43414E4152592D37373331";

    /**
     * One hostile program, the attack family it belongs to, and what its own result must show (beyond
     * leaving the next jobs alone): where the sandbox bounds what the program could do, that the bound held.
     */
    record Attack(String family, String code, BiConsumer<RenderResult, RenderSettings> outcome) {
        Attack(String family, String code) {
            this(family, code, (result, limits) -> { });
        }
    }

    private final String domain;
    private final RenderSettings limits;
    RenderEngine warm;
    List<byte[]> fresh;

    JobIsolationSuite(String domain, RenderSettings limits) {
        this.domain = domain;
        this.limits = limits;
    }

    final String domain() {
        return domain;
    }

    final RenderSettings limits() {
        return limits;
    }

    /** Programs that must render after any hostile job exactly as in a fresh engine. */
    abstract List<String> benign();

    abstract List<Attack> attacks();

    /** A program that reads {@code file} (and shows what it read); it must fail and show nothing of it. */
    abstract String readsFile(Path file);

    /** A new engine for this domain (the test double of Manim, say). */
    RenderEngine newEngine() {
        return TestEngines.plain(1);
    }

    Renderer.Availability availability;

    @BeforeAll
    void start() throws IOException {
        fresh = new ArrayList<>();
        try (RenderEngine engine = newEngine()) {
            availability = engine.availability(domain());
            if (!availability.available()) {
                return;  // each test is skipped with the reason
            }
            for (String code : benign()) {
                RenderResult r = engine.render(new RenderRequest(domain(), code, limits()));
                assertTrue(r.ok(), r.error());
                fresh.add(Files.readAllBytes(r.lastFrame()));
            }
        }
        warm = newEngine();
        warm.warmUp(domain(), 1);
    }

    @BeforeEach
    void requireDomain() {
        Assumptions.assumeTrue(availability.available(), domain() + " unavailable: " + availability.detail());
    }

    @AfterAll
    void stop() {
        if (warm != null) {
            warm.close();
        }
    }

    Stream<Arguments> attackCases() {
        return attacks().stream().map(a -> Arguments.of(a.family(), a));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackCases")
    void hostileJob_thenBenignJobsInTheSameWorker_renderAsAFreshEngine(String family, Attack attack) throws IOException {
        int workers = warm.workersStarted(domain());
        RenderResult hostile = warm.render(new RenderRequest(domain(), attack.code(), limits()));
        assertFalse(hostile.log().contains("WROTE"), family + ": " + hostile.log());
        assertFalse(hostile.error().contains("attach worked"), family + ": " + hostile.error());
        attack.outcome().accept(hostile, limits());
        List<String> benign = benign();
        for (int i = 0; i < benign.size(); i++) {
            RenderResult r = warm.render(new RenderRequest(domain(), benign.get(i), limits()));
            assertTrue(r.ok(), family + ": " + r.error());
            assertArrayEquals(fresh.get(i), Files.readAllBytes(r.lastFrame()),
                    family + ": benign program " + i + " rendered differently after it");
        }
        assertEquals(workers, warm.workersStarted(domain()), family + ": the worker had to be replaced");
    }

    @ParameterizedTest(name = "canary {0}")
    @MethodSource("canaryPlaces")
    void hostPathsOutsideTheAllowlist_areInvisible(String where) throws IOException {
        Assumptions.assumeTrue(warm.sandboxDescription().startsWith("bubblewrap ("),
                "the allowlist needs bubblewrap: " + warm.sandboxDescription());
        Path dir = Files.createTempDirectory(Path.of(where), "renderloop-canary");
        Path canary = dir.resolve("canary.txt");
        Files.writeString(canary, CANARY);  // world-readable: only the allowlist can hide it
        dir.toFile().setReadable(true, false);
        dir.toFile().setExecutable(true, false);
        try {
            RenderResult r = warm.render(new RenderRequest(domain(), readsFile(canary), limits()));
            assertFalse(r.ok(), "read " + canary);
            for (String shown : List.of(r.error(), r.log())) {
                assertFalse(shown.contains(CANARY) || shown.toUpperCase().contains(CANARY_HEX), shown);
            }
        } finally {
            Files.delete(canary);
            Files.delete(dir);
        }
    }

    static Stream<String> canaryPlaces() {
        // The project tree (not on the allowlist) and the system temp directory (the worker sees only its own).
        return Stream.of(Path.of("target").toAbsolutePath().toString(), System.getProperty("java.io.tmpdir"));
    }

    /** The suite for a Python domain: the hostile programs are the same for every one. */
    abstract static class Python extends JobIsolationSuite {
        Python(String domain, RenderSettings limits) {
            super(domain, limits);
        }

        @Override
        List<Attack> attacks() {
            return pythonAttacks();
        }

        @Override
        String readsFile(Path file) {
            return "print(open('" + file + "').read())\n";
        }

        /** How the worker should start its jobs: one clone() ({@code clone}) unless the engine asks for forks. */
        String expectedJobSpawn() {
            return "clone";
        }

        @org.junit.jupiter.api.Test
        void theWorkerIsolatesEachJob_theWayExpected() {
            var ready = warm.idleWorkerReady(domain());
            assertTrue(ready != null && ready.path("job_isolation").asBoolean(false), String.valueOf(ready));
            assertEquals(expectedJobSpawn(), ready.path("job_spawn").asText(), ready.toString());
        }
    }

    /** The hostile Python programs, one per attack family. */
    static List<Attack> pythonAttacks() {
        return List.of(
                new Attack("writes the warm parent's memory through /proc/<ppid>/mem", String.join("\n",
                        "import os",
                        "for pid in {os.getppid(), 1, 2, 3}:",
                        "    try:",
                        "        with open('/proc/%d/mem' % pid, 'r+b') as f:",
                        "            f.seek(0x400000); f.write(b'\\0' * 4096)",
                        "        print('WROTE', pid)",
                        "    except OSError as e:",
                        "        print('blocked', pid, e)", "")),
                new Attack("ptrace-attaches to the parent and reads it with process_vm_readv", String.join("\n",
                        "import ctypes, os",
                        "libc = ctypes.CDLL(None, use_errno=True)",
                        "for pid in (os.getppid(), 1, 2):",
                        "    assert libc.ptrace(16, pid, 0, 0) != 0, 'ptrace attach worked'",
                        "buf = ctypes.create_string_buffer(16)",
                        "iov = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 16)",
                        "assert libc.process_vm_readv(2, iov, 1, iov, 1, 0) < 0", "")),
                new Attack("plants files in every writable place", String.join("\n",
                        "import os",
                        "for d in ('/tmp', '/var/tmp', '/dev/shm', os.environ['HOME'], os.environ['TMPDIR'], '..', '../..'):",
                        "    try:",
                        "        open(os.path.join(d, 'planted.txt'), 'w').write('x')",
                        "    except OSError:",
                        "        pass", "")),
                new Attack("pre-creates the next job directories", String.join("\n",
                        "import os",
                        "for name in ['job-%d' % i for i in range(100)] + ['planted']:",
                        "    for d in ('..', '../..', '../../jobs'):",
                        "        try:",
                        "            os.makedirs(os.path.join(d, name))",
                        "        except OSError:",
                        "            pass", "")),
                new Attack("fills the disk with many files", String.join("\n",
                        "import os",
                        "places = ('.', '/tmp', '/dev/shm', '/var/tmp')",
                        "for d in places:",
                        "    for i in range(30):",
                        "        try:",
                        "            open(os.path.join(d, 'planted%d' % i), 'wb').write(b'z' * (30 << 20))",
                        "        except OSError:",
                        "            break",
                        "planted = [os.path.join(d, n) for d in places for n in os.listdir(d) if n.startswith('planted')]",
                        "filled = sum(os.path.getsize(p) for p in planted)",
                        "for p in planted:",
                        "    os.unlink(p)  # room for the log line",
                        "print('FILLED %d' % filled)", ""),
                        JobIsolationSuite::filledAtMostItsSpace),
                new Attack("writes a deep tree and thousands of files for the copy back", String.join("\n",
                        "import os",
                        "d = 'deep'",
                        "for i in range(200):",
                        "    d = os.path.join(d, 'd')",
                        "os.makedirs(d)",
                        "os.makedirs('out/wide')",
                        "for i in range(20000):",
                        "    open('out/wide/planted%d' % i, 'w').close()",
                        "os.symlink('/proc/1/mem', 'out/link.png')", "")),
                new Attack("turns its log and result files into FIFOs", String.join("\n",
                        "import os",
                        "for name in ('log.txt', '.result.json', '.result.json.tmp'):",
                        "    try:",
                        "        os.unlink(name)",
                        "    except OSError:",
                        "        pass",
                        "    os.mkfifo(name)", "")));
    }

    /** The Python disk filler's own count of what it managed to write, within the job's output bound. */
    static void filledAtMostItsSpace(RenderResult hostile, RenderSettings limits) {
        Matcher filled = Pattern.compile("FILLED (\\d+)").matcher(hostile.log());
        assertTrue(filled.find(), "the filler reports what it wrote: " + hostile.log() + hostile.error());
        long bytes = Long.parseLong(filled.group(1));
        assertTrue(bytes > 0 && bytes <= limits.maxOutputBytes(),
                "wrote " + bytes + " bytes in all; the bound is " + limits.maxOutputBytes());
    }

    /** The Python lines that collect, in {@code found}, what earlier jobs may have left where this job can look. */
    static String pythonProbe() {
        return String.join("\n",
                "import os",
                "found = []",
                "for d in ('/tmp', '/var/tmp', '/dev/shm', os.environ['HOME'], os.environ['TMPDIR'], '..'):",
                "    found += sorted(n for n in os.listdir(d) if 'planted' in n)", "");
    }
}
