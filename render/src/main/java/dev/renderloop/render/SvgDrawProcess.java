package dev.renderloop.render;

import com.github.weisj.jsvg.SVGDocument;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One child JVM that draws SVG documents for {@link SvgRenderer}, and the child's own loop
 * ({@link #main}).
 *
 * <h2>Why a process</h2>
 * JSVG does a whole filter chain, a mask, a pattern tile or one Java2D stroke in a single call that
 * never looks at the deadline or the thread's interrupt, and Java 21 cannot stop a thread. Measured
 * (2 cores, under load): a filter of 2,000 chained blurs, a 20,000-segment path with a 0.01-unit
 * dash pattern, 200 nested masks and a text of 200,000 glyphs each kept a core busy for 4 to 60+ s
 * after a 2 s deadline when drawn in the engine's JVM. A child process can be killed: the parent
 * kills it {@link #KILL_GRACE} after the deadline, so a render's CPU use ends then whatever JSVG is
 * doing. The child still checks the deadline between drawing calls and answers
 * {@link ErrorKind#TIMEOUT} itself when it can, and then stays warm.
 *
 * <h2>Protocol</h2>
 * Over the child's stdin/stdout, big-endian ({@link DataOutputStream}): a request is
 * {@code int width, int height, long nanosLeft, int n, n bytes of UTF-8 code}; an answer is
 * {@code byte 1, log, int n, n bytes of PNG} (the drawing, encoded by {@link PngEncoder}) for an image, or
 * {@code byte 0, kind, error, log} for a failure, each string as {@code int n} and n UTF-8 bytes.
 * The child exits when its stdin closes, so it never outlives the engine's JVM. It runs inside bubblewrap where
 * that works ({@link #confinement()}).
 *
 * <p>Not thread-safe: one render at a time; {@link SvgRenderer} keeps a pool.
 */
final class SvgDrawProcess implements AutoCloseable {
    /** How long after the deadline a child that has not answered is killed. */
    static final Duration KILL_GRACE = Duration.ofMillis(300);
    /** The child's heap: JSVG's offscreen buffers for a 336 px picture are a few MiB; bombs fail fast. */
    static final String MAX_HEAP = "-Xmx768m";
    private static final int MAX_STRING_BYTES = 1 << 22;
    /** An answer's PNG: at most the raw size of a 64 Mpx drawing, which bounds the drawing itself. */
    private static final int MAX_PNG_BYTES = 1 << 28;

    private final Process process;
    private final DataOutputStream requests;
    private final DataInputStream answers;
    private final PythonWorker.StderrTail stderr = new PythonWorker.StderrTail(8 * 1024);
    private volatile boolean killed;

    private SvgDrawProcess(Process process) {
        this.process = process;
        this.requests = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
        this.answers = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        Thread.ofPlatform().daemon().name("svg-draw-stderr-" + process.pid())
                .start(() -> stderr.drain(process.getErrorStream()));
    }

    /**
     * Starts a child; it is ready to take a request at once (the JVM starts while the request waits in the pipe).
     * C1 only ({@code TieredStopAtLevel=1}): each child warms its own JIT, and C2 took a child about a hundred
     * renders to reach the in-process speed (perf render --domain svg, 52 renders: 12.7 renders/s with C2,
     * 52.9 with C1, 46.7 in-process before; single-threaded steady state 159 renders/s with C1, 139-155
     * in-process; all measured under load on 2 shared cores).
     */
    static SvgDrawProcess start() throws IOException {
        return start(confinement().sandboxed());
    }

    private static SvgDrawProcess start(boolean sandboxed) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                MAX_HEAP, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Djava.awt.headless=true",
                "-cp", classPath(), SvgDrawProcess.class.getName()));
        Path scratch = null;
        if (sandboxed) {
            // An empty directory is all the child may write (the JVM writes nothing there unless it crashes).
            scratch = Files.createTempDirectory("renderloop-svg-");
            Files.createDirectories(scratch.resolve("tmp"));
            List<Path> readOnly = new ArrayList<>(runtimeFiles());
            for (String entry : classPath().split(java.io.File.pathSeparator)) {
                readOnly.add(Path.of(entry));
            }
            command = SANDBOX.get().wrapKeepingUser(command, scratch, readOnly, Sandbox.environment(scratch));
        }
        ProcessBuilder builder = new ProcessBuilder(command);
        // The child needs nothing from the caller's environment (JAVA_TOOL_OPTIONS would print on stderr).
        builder.environment().keySet().removeIf(k -> k.startsWith("JAVA_TOOL_OPTIONS") || k.startsWith("JDK_JAVA_OPTIONS")
                || k.equals("_JAVA_OPTIONS"));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            deleteQuietly(scratch);
            throw e;
        }
        Path made = scratch;
        process.onExit().thenRun(() -> deleteQuietly(made));
        return new SvgDrawProcess(process);
    }

    /**
     * How the children run: inside bubblewrap ({@link Sandbox#wrapKeepingUser}: the system allowlist, the JDK and
     * the class path read-only, no network, their own PID and mount namespaces, no capabilities, an empty scratch
     * directory) where bubblewrap works, else as plain child processes, with the reason. Decided once, on first
     * use, by drawing a one-pixel document in a sandboxed child: a JVM that cannot start inside the sandbox (a JDK
     * whose files lie outside what it shows) is reported, not hidden.
     *
     * @param sandboxed whether children run inside bubblewrap
     * @param description one line for the renderer's availability
     */
    record Confinement(boolean sandboxed, String description) {
    }

    private static final java.util.function.Supplier<Sandbox> SANDBOX = memo(
            () -> Sandbox.detect(!"limits".equals(System.getenv("RENDERLOOP_SANDBOX"))));
    private static final java.util.function.Supplier<Confinement> CONFINEMENT = memo(SvgDrawProcess::probeConfinement);

    static Confinement confinement() {
        return CONFINEMENT.get();
    }

    private static Confinement probeConfinement() {
        Sandbox sandbox = SANDBOX.get();
        if (sandbox.level() != Sandbox.Level.BUBBLEWRAP) {
            return new Confinement(false, "child JVMs without bubblewrap (" + sandbox.description() + ")");
        }
        String failure;
        try (SvgDrawProcess probe = start(true)) {
            InProcessDrawing.Drawn d = probe.draw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"><rect width=\"1\" height=\"1\"/></svg>",
                    RenderSettings.SVG_DEFAULTS.withSize(1, 1), System.nanoTime() + 30_000_000_000L);
            failure = d.errorKind() == null ? null : d.errorKind() + ": " + d.error();
        } catch (IOException e) {
            failure = e.getMessage();
        }
        if (failure == null) {
            return new Confinement(true, "child JVMs inside bubblewrap (no network, no home, no /tmp, no capabilities)");
        }
        String why = "child JVMs WITHOUT bubblewrap: a sandboxed child failed (" + failure + ")";
        System.err.println("renderloop: svg: " + why);
        return new Confinement(false, why);
    }

    private static void deleteQuietly(Path scratch) {
        try {
            Directories.delete(scratch);
        } catch (RuntimeException e) {
            // a temporary directory left behind; nothing depends on it
        }
    }

    private static <T> java.util.function.Supplier<T> memo(java.util.function.Supplier<T> compute) {
        return new java.util.function.Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = compute.get();
                }
                return value;
            }
        };
    }

    /**
     * What of the host the JDK reads beyond its own directory: the targets of its links that point outside it (a
     * Debian OpenJDK's {@code conf} and {@code cacerts} live under /etc), computed once.
     */
    static List<Path> runtimeFiles() {
        return RUNTIME_FILES.get();
    }

    private static final java.util.function.Supplier<List<Path>> RUNTIME_FILES = memo(() -> {
        Path home = Path.of(System.getProperty("java.home")).toAbsolutePath().normalize();
        List<Path> out = new ArrayList<>();
        try {
            Path real = home.toRealPath();
            out.add(home);
            if (!real.equals(home)) {
                out.add(real);
            }
            try (java.util.stream.Stream<Path> walk = Files.walk(real)) {
                walk.filter(Files::isSymbolicLink).forEach(link -> {
                    try {
                        Path target = link.toRealPath();
                        if (!target.startsWith(real)) {
                            out.add(target);
                        }
                    } catch (IOException e) {
                        // a dangling link: the JVM cannot use it outside the sandbox either
                    }
                });
            }
        } catch (IOException e) {
            out.add(home);
        }
        return List.copyOf(out);
    });

    /** This module's classes and JSVG's: both directories or jars, the same jar when shaded. */
    static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {SvgDrawProcess.class, SVGDocument.class}) {
            try {
                entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
            } catch (URISyntaxException | NullPointerException e) {
                throw new IllegalStateException("cannot locate the classes of " + c.getName(), e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return !killed && process.isAlive();
    }

    /**
     * Sends one document and waits for the drawing; the caller kills this process (see
     * {@link #kill()}) when the answer is late. Returns a failure of kind {@link ErrorKind#TIMEOUT} when
     * the process was killed meanwhile, {@link ErrorKind#RENDERER_CRASHED} when it died on its own.
     */
    InProcessDrawing.Drawn draw(String code, RenderSettings settings, long deadlineNanos) {
        try {
            byte[] text = code.getBytes(StandardCharsets.UTF_8);
            requests.writeInt(settings.width());
            requests.writeInt(settings.height());
            requests.writeLong(deadlineNanos - System.nanoTime());
            requests.writeInt(text.length);
            requests.write(text);
            requests.flush();
            return readAnswer(answers);
        } catch (IOException e) {
            if (killed) {
                return InProcessDrawing.Drawn.failure(ErrorKind.TIMEOUT, "the render passed its deadline and its "
                        + "drawing process was killed");
            }
            kill();
            String tail = stderr.text().strip();
            return InProcessDrawing.Drawn.failure(ErrorKind.RENDERER_CRASHED, "the SVG drawing process ended ("
                    + e.getMessage() + ")" + (tail.isEmpty() ? "" : ": " + tail));
        }
    }

    private static InProcessDrawing.Drawn readAnswer(DataInputStream in) throws IOException {
        int status = in.read();
        if (status < 0) {
            throw new EOFException("no answer");
        }
        if (status == 0) {
            ErrorKind kind = ErrorKind.valueOf(readString(in));
            String error = readString(in);
            return InProcessDrawing.Drawn.failure(kind, error).withLog(readString(in));
        }
        String log = readString(in);
        int n = in.readInt();
        if (n < 1 || n > MAX_PNG_BYTES) {
            throw new IOException("a PNG of " + n + " bytes");
        }
        // The caller checks the size in the PNG's header against the request.
        return InProcessDrawing.Drawn.png(in.readNBytes(n)).withLog(log);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING_BYTES) {
            throw new IOException("a string of " + n + " bytes");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    /** SIGKILL: ends the drawing whatever it is doing. Safe from any thread, idempotent. */
    void kill() {
        killed = true;
        process.destroyForcibly();
    }

    /** Ends the child: closing stdin lets it exit on its own; killed if it does not within a second. */
    @Override
    public void close() {
        try {
            requests.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(1, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The child: reads requests until stdin closes and draws each with {@link SvgRenderer#draw}, on this
     * thread, one at a time. Anything a drawing throws is answered as a failure, as in-process.
     */
    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out, 1 << 16));
        // Stray prints of libraries must not corrupt the protocol.
        System.setOut(System.err);
        while (true) {
            int w;
            try {
                w = in.readInt();
            } catch (EOFException e) {
                return;  // the parent closed the pipe: done
            }
            int h = in.readInt();
            long nanosLeft = in.readLong();
            long deadline = System.nanoTime() + nanosLeft;
            String code = readString(in);
            InProcessDrawing.Drawn drawn;
            try {
                RenderSettings settings = RenderSettings.SVG_DEFAULTS.withSize(w, h)
                        .withTimeout(Duration.ofNanos(Math.max(1, nanosLeft)));
                drawn = SvgRenderer.draw(code, settings, deadline);
            } catch (OutOfMemoryError e) {
                drawn = InProcessDrawing.Drawn.failure(ErrorKind.MEMORY_LIMIT, "the render ran out of memory ("
                        + e.getMessage() + ")");
            } catch (StackOverflowError e) {
                drawn = InProcessDrawing.Drawn.failure(ErrorKind.RUNTIME_ERROR,
                        "the input is nested too deeply to draw (stack overflow)");
            } catch (Exception | Error e) {
                drawn = InProcessDrawing.Drawn.failure(ErrorKind.RUNTIME_ERROR, InProcessDrawing.describe(e));
            }
            if (drawn.errorKind() != null) {
                out.write(0);
                writeString(out, drawn.errorKind().name());
                writeString(out, drawn.error());
                writeString(out, drawn.log());
            } else {
                // Encoded here, in the child: the parent writes the file as it comes, and the pipe carries a few KB
                // instead of 4 bytes a pixel (450 KB for 336x336; moving and encoding them was a third of a reward
                // service's CPU per svg item outside scoring).
                byte[] png = PngEncoder.encode(drawn.image());
                out.write(1);
                writeString(out, drawn.log());
                out.writeInt(png.length);
                out.write(png);
            }
            out.flush();
        }
    }

    /** Read only by tests and error texts. */
    String stderrTail() {
        return stderr.text();
    }
}
