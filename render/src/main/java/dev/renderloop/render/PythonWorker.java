package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One warm Python worker process (the renderloop_worker package, {@link WorkerPackage}) in the sandbox, speaking JSON lines over stdin/stdout.
 * Not thread-safe: the pool hands a worker to one caller at a time.
 *
 * <p>Lifecycle: {@link #start} waits (bounded) for the worker's {@code ready} line; {@link #call}
 * sends one request and waits for its answer with a deadline, killing the whole process tree when
 * the deadline passes; {@link #close} asks the worker to stop and kills it after a grace period.
 */
final class PythonWorker implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EOF = "\u0000EOF";
    /** The directory of the scratch directory that holds the job directories (the worker's --jobs-root). */
    static final String JOBS = "jobs";
    /**
     * Set to {@code off} in this process's environment, workers do not copy the pages a typical job writes
     * into each job process up front (renderloop_worker/warm_pages.py): only to measure what that saves.
     */
    static final String WARM_PAGES_SWITCH = "RENDERLOOP_WARM_PAGES";

    /**
     * A number in this process's environment: how many spare job processes each worker keeps ready while it waits
     * (renderloop_worker/spares.py) instead of its driver's default (matplotlib and rdkit 4, others none, at most
     * {@link #maxSparesPerWorker}); {@code 0} turns them off, to measure what they save.
     */
    static final String SPARES_SWITCH = "RENDERLOOP_JOB_SPARES";

    /**
     * Set to {@code off} in this process's environment, a job process exits as soon as its result is written
     * instead of being kept stopped until its worker is idle (renderloop_worker/spares.py, FinishedJobs): only to
     * measure what that saves.
     */
    static final String FINISHED_JOBS_SWITCH = "RENDERLOOP_FINISHED_JOBS";
    /** {@code off}: spare job processes do not read ahead while the worker is idle (less idle CPU, slower jobs; README). */
    static final String READ_AHEAD_SWITCH = "RENDERLOOP_READ_AHEAD";
    /** {@code off}: spare job processes reserve no heap for their job (warm_pages.py; to measure what it saves). */
    static final String HEAP_RESERVE_SWITCH = "RENDERLOOP_HEAP_RESERVE";

    /** The most spare job processes a pool of workers holds in all, unless {@link #SPARES_SWITCH} says otherwise. */
    static final int MAX_SPARES_PER_POOL = 16;

    /**
     * The most spares each worker of a pool of {@code poolSize} keeps ({@code --max-spares}; its driver's default
     * may be lower): {@link #MAX_SPARES_PER_POOL} shared out, at least one each. A spare holds ~14 MiB of its own
     * (matplotlib), so a worker per core on a many-core machine keeps ~14 MiB a core, not four times that.
     */
    static int maxSparesPerWorker(int poolSize) {
        return Math.max(1, MAX_SPARES_PER_POOL / Math.max(1, poolSize));
    }

    /**
     * glibc's malloc in the worker and in everything it starts (its jobs, and what they run: Manim's ffmpeg): blocks
     * up to 32 MiB come from the heap, and freed memory goes back to the system only past 256 MiB at its top. A job
     * is a fresh copy of the worker, so every page it touches for the first time is a page fault, and on this
     * project's VMs a fault costs ~10 us. With glibc's defaults a frame-sized buffer (a 854x480 RGB frame is
     * 1.2 MB) is often mapped afresh and unmapped again at each use: decoding a 150-frame Manim video and keeping
     * every third frame as RGB made ~16,000 faults in a job, ~4,000 with these settings (~300 ms -> ~125 ms).
     * Which memory a block comes from changes no result.
     */
    static final String MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456";
    private static final System.Logger LOG = System.getLogger(PythonWorker.class.getName());
    /** The missing per-job isolation is said once per JVM, not once per worker. */
    private static final java.util.concurrent.atomic.AtomicBoolean WARNED_NO_JOB_ISOLATION = new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.security.SecureRandom JOB_NAMES = new java.security.SecureRandom();
    /**
     * Starts every worker process. bubblewrap's --die-with-parent is a parent-death signal, which
     * Linux ties to the thread that forked the child, not to the JVM: a worker started from a caller's
     * short-lived thread would be killed when that thread ends. This thread lives as long as the JVM.
     */
    private static final java.util.concurrent.ExecutorService LAUNCHER = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("renderloop-worker-launcher").unstarted(r));

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StderrTail stderr = new StderrTail(16 * 1024);
    private final Path scratch;
    private final int uid;
    private JsonNode ready;
    private int jobsDone;
    private int jobCounter;
    /** Set once stdout reached EOF: the worker is gone even if the OS has not reaped it yet. */
    private volatile boolean eof;

    private PythonWorker(Process process, Path scratch, int uid) {
        this.process = process;
        this.scratch = scratch;
        this.uid = uid;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread.ofVirtual().name("worker-stdout-" + process.pid()).start(() -> pump(process.getInputStream()));
        Thread.ofVirtual().name("worker-stderr-" + process.pid()).start(() -> stderr.drain(process.getErrorStream()));
    }

    /**
     * Starts a worker and waits for it to report ready.
     *
     * @throws WorkerException UNAVAILABLE when the interpreter or the driver's library is missing or the
     *                         worker does not become ready within {@code startTimeout}
     */
    static PythonWorker start(WorkerKey key, Sandbox sandbox, Path scratch, Path script, Duration startTimeout,
                              int maxSpares) throws WorkerException {
        // -B: the package directory is read-only in the sandbox, and outside it no worker should write
        // compiled files that later workers would load.
        List<String> inner = new ArrayList<>(List.of(key.python().toString(), "-I", "-B", script.toString(), "--driver", key.driver()));
        for (Path p : key.pythonPath()) {
            inner.addAll(List.of("--path", p.toString()));
        }
        if (sandbox.workerIsolatesNetwork()) {
            inner.add("--isolate-net");
        }
        inner.addAll(List.of("--jobs-root", scratch.resolve(JOBS).toString()));
        if (key.forkedJobs()) {
            inner.addAll(List.of("--job-spawn", "fork"));
        }
        inner.addAll(List.of("--max-spares", Integer.toString(maxSpares)));
        List<Path> readOnly = new ArrayList<>(key.pythonPath());
        readOnly.add(script.getParent());  // the worker package's directory (WorkerPackage), nothing beside it
        readOnly.addAll(interpreterDirs(key.python()));
        var env = Sandbox.environment(scratch);
        env.put("GLIBC_TUNABLES", MALLOC_TUNABLES);
        // The switches a user sets to "off" pass through the allowlisted environment: to measure what warm_pages, kept
        // finished jobs and the heap reserve save, and reading ahead for a host with other work for its idle CPU (README).
        for (String off : List.of(WARM_PAGES_SWITCH, FINISHED_JOBS_SWITCH, READ_AHEAD_SWITCH, HEAP_RESERVE_SWITCH)) {
            if ("off".equals(System.getenv(off))) {
                env.put(off, "off");
            }
        }
        String spares = System.getenv(SPARES_SWITCH);
        if (spares != null && spares.matches("[0-9]{1,2}")) {
            env.put(SPARES_SWITCH, spares);
        }
        List<String> command = sandbox.wrap(inner, scratch, readOnly, env);
        Process process;
        try {
            for (String dir : List.of("tmp", ".matplotlib", ".cache", ".texmf-var", JOBS)) {
                own(Files.createDirectories(scratch.resolve(dir)), sandbox.workerUid());
            }
            ProcessBuilder pb = new ProcessBuilder(command).directory(scratch.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            process = launch(pb);
        } catch (IOException e) {
            throw new WorkerException(WorkerException.Reason.UNAVAILABLE,
                    "cannot start " + key.python() + ": " + e.getMessage());
        }
        PythonWorker worker = new PythonWorker(process, scratch, sandbox.workerUid());
        try {
            JsonNode first = worker.next(startTimeout);
            if (first == null) {
                worker.kill();
                throw new WorkerException(WorkerException.Reason.UNAVAILABLE, "the " + key.driver()
                        + " worker did not start: " + worker.diagnostics());
            }
            String type = first.path("type").asText();
            if (!"ready".equals(type)) {
                worker.kill();
                String error = first.path("error").asText(first.toString());
                throw new WorkerException(WorkerException.Reason.UNAVAILABLE, "the " + key.driver()
                        + " worker cannot run: " + error);
            }
            worker.ready = first;
            if (!first.path("job_isolation").asBoolean(false) && WARNED_NO_JOB_ISOLATION.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "weaker sandbox: " + first.path("job_isolation_missing").asText("per-job namespaces unavailable"));
            }
            return worker;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.kill();
            throw new WorkerException(WorkerException.Reason.UNAVAILABLE, "interrupted while starting the worker");
        }
    }

    private static Process launch(ProcessBuilder pb) throws IOException {
        try {
            return LAUNCHER.submit(pb::start).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting a worker", e);
        }
    }

    /** The worker's ready message: driver, library versions, whether it is a subreaper, how jobs are isolated. */
    JsonNode readyMessage() {
        return ready;
    }

    long pid() {
        return process.pid();
    }

    int jobsDone() {
        return jobsDone;
    }

    boolean alive() {
        return process.isAlive();
    }

    /**
     * A fresh job directory under the worker's jobs root, writable by the worker. Its name is
     * unpredictable, so no earlier job could have made it (a job sees only a private, empty copy of
     * the jobs root anyway, where the worker isolates jobs); {@code createDirectory} fails rather than
     * reuse anything that exists.
     */
    Path newJobDir() throws IOException {
        ++jobCounter;
        Path dir = Files.createDirectory(scratch.resolve(JOBS).resolve("job-" + Long.toUnsignedString(JOB_NAMES.nextLong(), 36)));
        own(dir, uid);
        return dir;
    }

    /** Makes a file or directory belong to the sandbox user (when the sandbox drops privileges). */
    static Path own(Path p, int uid) throws IOException {
        if (uid >= 0) {
            Files.setAttribute(p, "unix:uid", uid);
            Files.setAttribute(p, "unix:gid", uid);
        }
        return p;
    }

    /**
     * Sends one request and waits for the answer.
     *
     * @throws WorkerException CRASHED if the worker dies, UNRESPONSIVE if no answer comes within
     *                         {@code timeout} (the worker is then killed)
     */
    JsonNode call(ObjectNode request, Duration timeout) throws WorkerException {
        try {
            stdin.write(JSON.writeValueAsString(request));
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            kill();
            throw new WorkerException(WorkerException.Reason.CRASHED, "worker is gone: " + diagnostics());
        }
        try {
            JsonNode answer = next(timeout);
            if (answer == null) {
                boolean died = eof;
                kill();
                throw new WorkerException(died ? WorkerException.Reason.CRASHED : WorkerException.Reason.UNRESPONSIVE,
                        (died ? "the worker died during the job" : "worker did not answer within " + timeout.toSeconds() + " s")
                                + ": " + diagnostics());
            }
            jobsDone++;
            return answer;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
            throw new WorkerException(WorkerException.Reason.CRASHED, "interrupted");
        }
    }

    /** Next JSON line, or null on EOF or timeout. Non-JSON lines on stdout are protocol breaches and skipped. */
    private JsonNode next(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null || line == EOF) {
                if (line == EOF) {
                    eof = true;
                    lines.offer(EOF);  // stay at EOF for later calls
                }
                return null;
            }
            try {
                return JSON.readTree(line);
            } catch (IOException e) {
                stderr.note("unparseable protocol line: " + line.substring(0, Math.min(200, line.length())));
            }
        }
    }

    private void pump(InputStream in) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.offer(line);
            }
        } catch (IOException ignored) {
            // the process is gone; EOF below tells the waiting caller
        } finally {
            lines.offer(EOF);
        }
    }

    String diagnostics() {
        String tail = stderr.text().strip();
        String exit = process.isAlive() ? "running" : "exit " + process.exitValue();
        return exit + (tail.isEmpty() ? "" : "; stderr: " + tail.substring(Math.max(0, tail.length() - 2000)));
    }

    /** Kills the worker and everything it started: descendants first, then the worker itself. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                stdin.write("{\"type\":\"shutdown\"}\n");
                stdin.flush();
                process.waitFor(2, TimeUnit.SECONDS);
            } catch (IOException ignored) {
                // already gone
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kill();
        Directories.delete(scratch);
    }

    /** Directories of the interpreter that must stay visible in the sandbox (a venv under /home, say). */
    private static List<Path> interpreterDirs(Path python) {
        List<Path> dirs = new ArrayList<>();
        Path abs = python.toAbsolutePath();
        Path bin = abs.getParent();
        if (bin != null && bin.getParent() != null) {
            dirs.add(bin.getParent());
        }
        try {
            Path real = abs.toRealPath();
            if (real.getParent() != null && real.getParent().getParent() != null) {
                dirs.add(real.getParent().getParent());
            }
        } catch (IOException ignored) {
            // a missing interpreter is reported when it fails to start
        }
        return dirs;
    }

    /** Keeps the last bytes of the worker's stderr for diagnostics. */
    static final class StderrTail {
        private final int capacity;
        private final StringBuilder text = new StringBuilder();

        StderrTail(int capacity) {
            this.capacity = capacity;
        }

        void drain(InputStream in) {
            byte[] buffer = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // process gone
            }
        }

        synchronized void note(String s) {
            append(s + "\n");
        }

        private synchronized void append(String s) {
            text.append(s);
            if (text.length() > capacity) {
                text.delete(0, text.length() - capacity);
            }
        }

        synchronized String text() {
            return text.toString();
        }
    }
}
