package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An SVG render that passes its deadline stops using CPU within a second of it, and says TIMEOUT.
 *
 * <p>Each document below does its work inside one JSVG call that never looks at the deadline (a
 * filter chain, one dashed stroke, nested masks, one long text): drawn in the engine's own JVM, they
 * kept a core busy for 4 to over 60 s after a 2 s deadline (measured before {@link SvgDrawProcess}); each
 * takes at least 5 s to draw here (2 cores, 2026-12), so that the 1 s deadline always interrupts it (200 plain nested
 * masks and 200,000 glyphs drew in 1.2 to 1.4 s: too close to the deadline, the test failed).
 * The probe: the CPU time of the child that drew the document (from {@code /proc}, through
 * {@link ProcessHandle}) and of this JVM's {@code svg-render-*} threads ({@link ThreadMXBean}), sampled
 * from one second after the deadline for {@value #PROBE_MILLIS} ms, may grow by at most
 * {@value #IDLE_CPU_MILLIS} ms. The child must also be the one killed (a replacement is started), so
 * the test shows the kill, not a cooperative stop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SvgDeadlineTest {
    private static final String NS = "xmlns=\"http://www.w3.org/2000/svg\"";
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final long PROBE_MILLIS = 1000;
    private static final long IDLE_CPU_MILLIS = 50;
    private static final String BENIGN = "<svg " + NS + " viewBox=\"0 0 100 100\"><circle cx=\"50\" cy=\"50\" r=\"30\" "
            + "fill=\"teal\" stroke=\"black\"/></svg>";

    private final SvgRenderer renderer = new SvgRenderer();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private int dirs;

    @TempDir
    Path dir;

    @AfterAll
    void close() {
        renderer.close();
    }

    static Stream<Arguments> hostileDocuments() {
        return Stream.of(
                Arguments.of("2000 chained blurs", (Supplier<String>) () -> doc("<defs><filter id=\"f\" x=\"-10\" y=\"-10\" "
                        + "width=\"20\" height=\"20\">" + "<feGaussianBlur stdDeviation=\"30\"/>".repeat(2000)
                        + "</filter></defs><rect width=\"100\" height=\"100\" filter=\"url(#f)\"/>")),
                Arguments.of("a 20000-segment path with 0.01 dashes", (Supplier<String>) () -> {
                    StringBuilder d = new StringBuilder("M0,0");
                    for (int i = 0; i < 20000; i++) {
                        d.append(" L").append(i * 37 % 100).append(',').append(i * 53 % 100);
                    }
                    return doc("<path d=\"" + d + "\" stroke=\"black\" stroke-width=\"50\" stroke-dasharray=\"0.01\" fill=\"none\"/>");
                }),
                Arguments.of("300 nested blurred masks", (Supplier<String>) () -> {
                    StringBuilder m = new StringBuilder("<filter id=\"f\"><feGaussianBlur stdDeviation=\"20\"/></filter>"
                            + "<mask id=\"m0\"><rect width=\"100\" height=\"100\" fill=\"white\" filter=\"url(#f)\"/></mask>");
                    for (int i = 1; i < 300; i++) {
                        m.append("<mask id=\"m").append(i).append("\"><rect width=\"100\" height=\"100\" fill=\"white\" "
                                + "filter=\"url(#f)\" mask=\"url(#m").append(i - 1).append(")\"/></mask>");
                    }
                    return doc("<defs>" + m + "</defs><rect width=\"100\" height=\"100\" mask=\"url(#m299)\"/>");
                }),
                // Just under the 1 MiB program limit.
                Arguments.of("a text of 1000000 glyphs", (Supplier<String>) () ->
                        doc("<text x=\"0\" y=\"50\" font-size=\"3\">" + "W".repeat(1_000_000) + "</text>")));
    }

    private static String doc(String body) {
        return "<svg " + NS + " viewBox=\"0 0 100 100\">" + body + "</svg>";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileDocuments")
    void render_pastItsDeadline_isATimeoutAndItsCpuUseEndsWithinOneSecond(String name, Supplier<String> document)
            throws Exception {
        byte[] before = benignFrame();
        List<Long> idle = renderer.childPids();
        assertFalse(idle.isEmpty(), "a warm child after a benign render");  // the next render takes the first
        ProcessHandle child = ProcessHandle.of(idle.getFirst()).orElseThrow();
        // Inside bubblewrap the child is bwrap, and the JVM that draws is its descendant: probe them all.
        List<ProcessHandle> tree = Stream.concat(Stream.of(child), child.descendants()).toList();
        int started = renderer.childrenStarted();

        long start = System.nanoTime();
        RenderResult r = render(document.get(), TIMEOUT);
        long deadline = start + TIMEOUT.toNanos();
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), name + ": " + r.error());
        assertTrue(r.frames().isEmpty());
        long late = (System.nanoTime() - deadline) / 1_000_000;
        assertTrue(late < 1000, "the caller must get its answer at the deadline; it came " + late + " ms after");

        sleepUntil(deadline + 1_000_000_000L);
        long cpu0 = cpuNanos(tree) + renderThreadCpuNanos();
        Thread.sleep(PROBE_MILLIS);
        long cpu1 = cpuNanos(tree) + renderThreadCpuNanos();
        long grew = (cpu1 - cpu0) / 1_000_000;
        assertTrue(grew <= IDLE_CPU_MILLIS, name + ": " + grew + " ms of CPU between 1 and 2 s after the deadline "
                + "(child alive: " + child.isAlive() + ")");
        assertTrue(tree.stream().noneMatch(SvgDeadlineTest::running),
                name + ": the child that drew it must have been killed (it did not stop by itself); alive: "
                        + tree.stream().filter(SvgDeadlineTest::running).map(SvgDeadlineTest::state).toList());

        // A replacement child draws the next document, pixel for pixel as before.
        long until = System.nanoTime() + 30_000_000_000L;
        while (renderer.childrenStarted() == started && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertEquals(started + 1, renderer.childrenStarted(), "a replacement child is started after the kill");
        assertArrayEquals(before, benignFrame(), name + ": the next render must be unchanged");
    }

    private byte[] benignFrame() throws Exception {
        RenderResult r = render(BENIGN, RenderSettings.SVG_DEFAULTS.timeout());
        assertTrue(r.ok(), r.errorKind() + ": " + r.error());
        return Files.readAllBytes(r.lastFrame());
    }

    private RenderResult render(String svg, Duration timeout) throws Exception {
        Path out = Files.createDirectories(dir.resolve("r" + dirs++));
        return renderer.render(new RenderRequest("svg", svg, RenderSettings.SVG_DEFAULTS.withTimeout(timeout)), out);
    }

    /** CPU time of the processes while they live; a killed (and reaped) process has stopped using any. */
    private static long cpuNanos(List<ProcessHandle> processes) {
        long total = 0;
        for (ProcessHandle process : processes) {
            Optional<Duration> cpu = process.info().totalCpuDuration();
            total += process.isAlive() ? cpu.map(Duration::toNanos).orElse(0L) : 0L;
        }
        return total;
    }

    /**
     * Alive and not a zombie: a killed sandbox's inner bubblewrap is reparented to this machine's pid 1, which in a
     * container may never reap it; a zombie has ended and uses no CPU.
     */
    private static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat"));
            return !stat.substring(stat.lastIndexOf(')') + 1).strip().startsWith("Z");
        } catch (Exception e) {
            return false;  // gone meanwhile
        }
    }

    private static String state(ProcessHandle p) {
        try {
            return p.pid() + " " + Files.readString(Path.of("/proc", String.valueOf(p.pid()), "stat")).replaceAll("^\\d+ ", "").substring(0, 40);
        } catch (Exception e) {
            return p.pid() + " (" + e + ")";
        }
    }

    private long renderThreadCpuNanos() {
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("svg-render-")) {
                total += Math.max(0, threads.getThreadCpuTime(t.threadId()));
            }
        }
        return total;
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
    }
}
