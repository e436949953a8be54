package dev.renderloop.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * The render stage: routes a {@link RenderRequest} to the {@link Renderer} of its domain, checks
 * the input, consults the content-addressed cache, and returns a {@link RenderResult}. Never throws
 * for anything the code does. Thread-safe; close it to stop the workers.
 *
 * <pre>{@code
 * try (RenderEngine engine = RenderEngine.builder().build()) {
 *     RenderResult r = engine.render(RenderRequest.of("matplotlib", code));
 * }
 * }</pre>
 */
public final class RenderEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RenderEngine.class.getName());
    private static volatile Sandbox detectedSandbox;
    private static volatile Sandbox detectedFallback;

    private final Map<String, Renderer> renderers;
    private final RenderCache cache;
    private final Path scratchRoot;
    private final Path outputRoot;
    private final int maxCodeBytes;
    private final LongSupplier ticker;
    private final Sandbox sandbox;
    private final List<PythonWorkerPool> pools;
    private final Map<String, InstalledApi> apis = new java.util.concurrent.ConcurrentHashMap<>();
    private final Path workerScript;
    private final WorkerKey pythonKey;
    private final Duration workerStartTimeout;

    private RenderEngine(Builder b) throws IOException {
        this.sandbox = sandbox(b.allowBubblewrap);
        this.maxCodeBytes = b.maxCodeBytes;
        this.ticker = b.ticker;
        Files.createDirectories(b.scratchDir);
        reapAbandonedScratch(b.scratchDir);
        this.scratchRoot = Files.createTempDirectory(b.scratchDir, "renderloop-");
        Files.writeString(scratchRoot.resolve(OWNER_FILE), ownerId(ProcessHandle.current()));
        // The sandbox user must be able to traverse to its own scratch directory, not list ours.
        Files.setPosixFilePermissions(scratchRoot, PosixFilePermissions.fromString("rwx--x--x"));
        this.outputRoot = b.outputDir != null ? b.outputDir : scratchRoot.resolve("results");
        Files.createDirectories(outputRoot);
        this.cache = b.cacheDir == null ? null : new RenderCache(b.cacheDir, b.cacheMaxBytes);
        // The package in a directory of its own: that directory goes on the worker's sys.path.
        WorkerPackage workerPackage = WorkerPackage.extract(scratchRoot.resolve("python"));
        Path script = workerPackage.entry();
        String scriptHash = workerPackage.hash();
        this.workerScript = script;
        this.pythonKey = new WorkerKey("python", b.python, b.pythonPath, b.forkedJobs);
        this.workerStartTimeout = b.workerStartTimeout;

        this.renderers = new LinkedHashMap<>();
        this.pools = new ArrayList<>();
        python("manim", "manim", "install Manim Community Edition: pip install manim (plus its system packages: "
                + "ffmpeg, libcairo2-dev, libpango1.0-dev, texlive for MathTex), then point --python at that interpreter",
                b, script, scriptHash);
        python("matplotlib", "matplotlib", "on Debian: apt-get install python3-matplotlib (and use /usr/bin/python3)",
                b, script, scriptHash);
        python("rdkit", "rdkit", "on Debian: apt-get install python3-rdkit (and use /usr/bin/python3)",
                b, script, scriptHash);
        python("tikz", "json", List.of("pdflatex", "pdftex", "pdftoppm", "pdfinfo"),
                "on Debian: apt-get install texlive-latex-base texlive-latex-extra texlive-pictures poppler-utils",
                b, script, scriptHash);
        renderers.put("svg", new SvgRenderer());
        renderers.put("smiles", new SmilesRenderer());
        // One page prepared ahead per concurrent job (each an idle renderer process), so that jobs arriving
        // together all start on a ready page; capped, as every spare holds memory.
        renderers.put("html", new ChromiumRenderer(ChromiumRenderer.Options.defaults()
                .withScratchDir(b.scratchDir).withSandbox(sandbox).withMaxConcurrentJobs(b.workers)
                .withSparePages(Math.min(b.workers, 4))));
        for (Renderer r : b.extra) {
            renderers.put(r.domain(), r);
        }
    }

    private static final String OWNER_FILE = "owner";

    /** "pid start-instant" of a process: a pid alone can be reused after the owner died. */
    private static String ownerId(ProcessHandle p) {
        return p.pid() + " " + p.info().startInstant().map(Object::toString).orElse("?");
    }

    /**
     * Deletes scratch directories left by engines whose JVM died without closing them (SIGKILL,
     * power loss): their owner file names a process that no longer exists. Directories without an
     * owner file, or whose owner lives, are left alone.
     */
    static void reapAbandonedScratch(Path scratchDir) {
        try (var dirs = Files.newDirectoryStream(scratchDir, "renderloop-*")) {
            for (Path dir : dirs) {
                Path owner = dir.resolve(OWNER_FILE);
                if (!Files.isRegularFile(owner)) {
                    continue;
                }
                String id = Files.readString(owner).strip();
                long pid = Long.parseLong(id.split(" ")[0]);
                boolean alive = ProcessHandle.of(pid).map(p -> ownerId(p).equals(id)).orElse(false);
                if (!alive) {
                    Directories.delete(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "scratch reaper skipped: " + e);
        }
    }

    private void python(String domain, String library, String hint, Builder b, Path script, String hash) {
        python(domain, library, List.of(), hint, b, script, hash);
    }

    private void python(String domain, String library, List<String> executables, String hint, Builder b, Path script,
                        String hash) {
        WorkerKey key = new WorkerKey(domain, b.python, b.pythonPath, b.forkedJobs);
        PythonWorkerPool pool = new PythonWorkerPool(key, b.workers, sandbox, scratchRoot, script,
                b.workerStartTimeout, b.maxJobsPerWorker);
        pools.add(pool);
        renderers.put(domain, new PythonRenderer(domain, library, executables, hint, pool, hash));
    }

    /** Detected once per JVM and kind: the probe runs a process, and the warning is said once. */
    private static synchronized Sandbox sandbox(boolean allowBubblewrap) {
        if (!allowBubblewrap) {
            if (detectedFallback == null) {
                detectedFallback = Sandbox.detect(false);
                LOG.log(System.Logger.Level.WARNING, "weaker sandbox: " + detectedFallback.description());
            }
            return detectedFallback;
        }
        if (detectedSandbox == null) {
            detectedSandbox = Sandbox.detect(true);
            if (detectedSandbox.level() != Sandbox.Level.BUBBLEWRAP) {
                LOG.log(System.Logger.Level.WARNING, "weaker sandbox: " + detectedSandbox.description());
            }
        }
        return detectedSandbox;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The interpreter workers use unless told otherwise: {@code $RENDERLOOP_PYTHON}, else {@code /usr/bin/python3}. */
    public static Path defaultPython() {
        return Builder.defaultPython();
    }

    /** Where worker scratch directories are made unless told otherwise: {@code $RENDERLOOP_SCRATCH}, else {@code java.io.tmpdir}. */
    public static Path defaultScratchDir() {
        return Builder.defaultScratchDir();
    }

    /** The domains this engine has a renderer for (available or not). */
    public Set<String> domains() {
        return Set.copyOf(renderers.keySet());
    }

    /** Whether {@code domain} can render here, and why not. */
    public Renderer.Availability availability(String domain) {
        Renderer r = renderers.get(domain);
        return r == null ? Renderer.Availability.no("no renderer for domain '" + domain + "'; known: " + renderers.keySet())
                : r.availability();
    }

    /** The renderer of {@code domain} (package-private: tests drive renderers directly). */
    Renderer renderer(String domain) {
        return renderers.get(domain);
    }

    String rendererVersion(String domain) {
        return renderers.get(domain).version();
    }

    /** One line on how model code is confined on this machine (mentions anything missing). */
    public String sandboxDescription() {
        return sandbox.description();
    }

    /**
     * Renders one request; every failure comes back as a result with an error kind. The program rendered (and the
     * cache key) is the code without trailing whitespace, ending in one newline: programs that differ only there are
     * one render and one cache entry.
     */
    public RenderResult render(RenderRequest request) {
        long start = ticker.getAsLong();
        String domain = request.domain();
        Renderer renderer = renderers.get(domain);
        if (renderer == null) {
            return RenderResult.failure(domain, ErrorKind.RENDERER_UNAVAILABLE,
                    "no renderer for domain '" + domain + "'; known: " + String.join(", ", renderers.keySet()), millisSince(start));
        }
        if (request.code().isBlank()) {
            return RenderResult.failure(domain, ErrorKind.NO_CODE, "no code to render: the program is empty", millisSince(start));
        }
        SourceText text = SourceText.check(request.code(), maxCodeBytes);
        if (!text.ok()) {
            return RenderResult.failure(domain, ErrorKind.BAD_INPUT, text.problem(), millisSince(start));
        }
        // What renders, and what the cache keys on, is the program without trailing whitespace plus one newline:
        // a suite's reference (no final newline) and the same program extracted from an answer (CodeExtractor ends
        // it with one) are one render. Trailing whitespace changes no domain's output or line numbers.
        RenderSettings settings = request.settings();
        if (!domain.equals("manim") && settings.manimMode() != ManimMode.PUBLISHED) {
            // Only Manim has modes: other domains render one way, and one cache entry serves every caller.
            settings = settings.withManimMode(ManimMode.PUBLISHED);
        }
        request = new RenderRequest(domain, normalised(request.code()), settings);
        Renderer.Availability availability = renderer.availability();
        if (!availability.available()) {
            return RenderResult.failure(domain, ErrorKind.RENDERER_UNAVAILABLE, availability.detail(), millisSince(start));
        }
        try {
            if (cache == null) {
                Path out = Files.createDirectories(outputRoot.resolve(UUID.randomUUID().toString()));
                RenderResult r = renderer.render(request, out);
                return r.withTiming(millisSince(start), false);
            }
            String version = renderer.version();
            String key = RenderCache.key(request, version);
            RenderResult hit = cache.get(key);
            if (hit != null) {
                return hit.withTiming(millisSince(start), true);
            }
            Path staging = cache.newStaging();
            RenderResult r = renderer.render(request, staging);
            if (r.ok() || r.errorKind().deterministic()) {
                r = cache.put(key, r, staging, request, version).withTiming(millisSince(start), false);
                return r;
            }
            Directories.delete(staging);
            return r.withTiming(millisSince(start), false);
        } catch (IOException | UncheckedIOException e) {
            return RenderResult.failure(domain, ErrorKind.RENDERER_CRASHED, "render output could not be stored: " + e.getMessage(), millisSince(start));
        }
    }

    /** {@code code} as the engine renders and keys it: trailing whitespace removed, one final newline. */
    static String normalised(String code) {
        return code.stripTrailing() + "\n";
    }

    /**
     * The API of {@code packageName} as installed for the Python workers (for documentation-grounded repairs),
     * served by one warm worker of its own in the same sandbox. Created on first use, closed with the engine.
     *
     * @throws IllegalArgumentException when {@code packageName} is not a top-level package name
     */
    public InstalledApi installedApi(String packageName) {
        InstalledApi.checkPackageName(packageName);
        return apis.computeIfAbsent(packageName, p -> {
            WorkerKey key = new WorkerKey("apidoc:" + p, pythonKey.python(), pythonKey.pythonPath(), pythonKey.forkedJobs());
            PythonWorkerPool pool = new PythonWorkerPool(key, 1, sandbox, scratchRoot, workerScript, workerStartTimeout, 10_000);
            synchronized (pools) {
                pools.add(pool);
            }
            return new InstalledApi(p, pool);
        });
    }

    /** Starts {@code count} workers for {@code domain} now, so that later renders measure steady state. */
    public void warmUp(String domain, int count) {
        for (PythonWorkerPool pool : pools) {
            if (pool.key().driver().equals(domain) && availability(domain).available()) {
                try {
                    pool.warmUp(count);
                } catch (WorkerException | IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "warm-up of " + domain + " failed: " + e.getMessage());
                }
            }
        }
    }

    /** The ready message of an idle warm worker for {@code domain}, or null (for tests: what the worker reported). */
    com.fasterxml.jackson.databind.JsonNode idleWorkerReady(String domain) {
        return pools.stream().filter(p -> p.key().driver().equals(domain)).map(PythonWorkerPool::idleReady)
                .filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    /** Worker processes started for {@code domain} so far (a restart counts as a start). */
    public int workersStarted(String domain) {
        return pools.stream().filter(p -> p.key().driver().equals(domain)).mapToInt(PythonWorkerPool::workersStarted).sum();
    }

    private long millisSince(long start) {
        return (ticker.getAsLong() - start) / 1_000_000;
    }

    @Override
    public void close() {
        renderers.values().forEach(Renderer::close);
        synchronized (pools) {
            pools.stream().filter(p -> p.key().driver().startsWith("apidoc:")).forEach(PythonWorkerPool::close);
        }
        if (cache != null) {
            cache.close();
        }
        Directories.delete(scratchRoot);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Configures a {@link RenderEngine}. Every option has a working default. */
    public static final class Builder {
        private Path python = defaultPython();
        private List<Path> pythonPath = List.of();
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors());
        private Path cacheDir = defaultCacheDir();
        private long cacheMaxBytes = 2L << 30;
        private Path scratchDir = defaultScratchDir();
        private Path outputDir;
        private int maxCodeBytes = SourceText.DEFAULT_MAX_BYTES;
        private Duration workerStartTimeout = Duration.ofSeconds(60);
        private int maxJobsPerWorker = 1000;
        private LongSupplier ticker = System::nanoTime;
        private boolean allowBubblewrap = !"limits".equals(System.getenv("RENDERLOOP_SANDBOX"));
        private boolean forkedJobs;
        private final List<Renderer> extra = new ArrayList<>();

        private Builder() {
        }

        /** The Python interpreter for workers; default {@code $RENDERLOOP_PYTHON}, else {@code /usr/bin/python3}. */
        public Builder python(Path interpreter) {
            this.python = Objects.requireNonNull(interpreter);
            return this;
        }

        /** Extra module directories placed first on the workers' {@code sys.path}. */
        public Builder pythonPath(List<Path> dirs) {
            this.pythonPath = dirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
            return this;
        }

        /** Worker processes per Python domain; default: the number of cores. */
        public Builder workers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("workers must be >= 1, got " + n);
            }
            this.workers = n;
            return this;
        }

        /** Cache directory; default {@code $RENDERLOOP_CACHE}, else {@code ~/.cache/renderloop/renders}. */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** Renders are not cached; outputs go to {@link #outputDir} or a scratch area deleted on close. */
        public Builder noCache() {
            this.cacheDir = null;
            return this;
        }

        public Builder cacheMaxBytes(long bytes) {
            this.cacheMaxBytes = bytes;
            return this;
        }

        /** Where worker scratch directories are made; default {@code $RENDERLOOP_SCRATCH}, else {@code java.io.tmpdir}. */
        public Builder scratchDir(Path dir) {
            this.scratchDir = dir;
            return this;
        }

        /** Where uncached results are written; default a scratch area deleted when the engine closes. */
        public Builder outputDir(Path dir) {
            this.outputDir = dir;
            return this;
        }

        public Builder maxCodeBytes(int bytes) {
            this.maxCodeBytes = bytes;
            return this;
        }

        public Builder workerStartTimeout(Duration timeout) {
            this.workerStartTimeout = timeout;
            return this;
        }

        /** A worker is replaced after this many jobs (bounds any slow leak in the warm parent). */
        public Builder maxJobsPerWorker(int jobs) {
            this.maxJobsPerWorker = jobs;
            return this;
        }

        /** Nanosecond clock for timings; tests inject a fake one. */
        public Builder ticker(LongSupplier nanoTicker) {
            this.ticker = Objects.requireNonNull(nanoTicker);
            return this;
        }

        /**
         * Forces the fallback sandbox (no bubblewrap): uid drop, environment allowlist, per-job
         * network namespace where permitted, per-job limits. Default: {@code RENDERLOOP_SANDBOX=limits}.
         */
        public Builder withoutBubblewrap() {
            this.allowBubblewrap = false;
            return this;
        }

        /** Adds (or replaces, by domain) a renderer. */
        /**
         * Runs every job of a Python worker as two forks (a keeper that builds the job's namespaces, and the job
         * process) instead of one clone() into them: the path a worker takes anyway where clone() cannot stand
         * in for fork() (a worker with threads); for its tests and for diagnosis. The isolation is the same.
         */
        public Builder forkedJobs() {
            this.forkedJobs = true;
            return this;
        }

        public Builder renderer(Renderer renderer) {
            this.extra.add(renderer);
            return this;
        }

        public RenderEngine build() {
            try {
                return new RenderEngine(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot set up the render engine: " + e.getMessage(), e);
            }
        }

        static Path defaultPython() {
            String env = System.getenv("RENDERLOOP_PYTHON");
            if (env != null && !env.isBlank()) {
                return Path.of(env);
            }
            return Files.isExecutable(Path.of("/usr/bin/python3")) ? Path.of("/usr/bin/python3") : Path.of("python3");
        }

        static Path defaultScratchDir() {
            String env = System.getenv("RENDERLOOP_SCRATCH");
            return Path.of(env != null && !env.isBlank() ? env : System.getProperty("java.io.tmpdir"));
        }

        static Path defaultCacheDir() {
            String env = System.getenv("RENDERLOOP_CACHE");
            if (env != null && !env.isBlank()) {
                return Path.of(env);
            }
            return Path.of(System.getProperty("user.home"), ".cache", "renderloop", "renders");
        }
    }
}
