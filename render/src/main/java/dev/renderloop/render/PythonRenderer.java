package dev.renderloop.render;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A renderer backed by warm Python workers ({@link WorkerPackage}) with one driver: {@code manim} or
 * {@code matplotlib}. Availability is probed cheaply (the interpreter locates the library without
 * importing it), so cache hits never start a worker.
 */
final class PythonRenderer implements Renderer {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Extra time the JVM gives the worker beyond the job timeout before it declares the worker hung. */
    private static final Duration WORKER_GRACE = Duration.ofSeconds(15);
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    private final String domain;
    private final String library;
    private final List<String> executables;
    private final String installHint;
    private final PythonWorkerPool pool;
    private final String scriptHash;
    private volatile Availability availability;
    private volatile String version;

    /**
     * @param library     the Python module the driver needs (checked without importing it)
     * @param executables programs the driver runs, which must be on the sandbox's PATH (their first
     *                    {@code --version} line becomes part of the version)
     */
    PythonRenderer(String domain, String library, List<String> executables, String installHint, PythonWorkerPool pool,
                   String scriptHash) {
        this.domain = domain;
        this.library = library;
        this.executables = List.copyOf(executables);
        this.installHint = installHint;
        this.pool = pool;
        this.scriptHash = scriptHash;
    }

    @Override
    public String domain() {
        return domain;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            synchronized (this) {
                if (availability == null) {
                    availability = probe();
                }
                a = availability;
            }
        }
        return a;
    }

    @Override
    public String version() {
        availability();
        return version;
    }

    /** Asks the interpreter where the library is and which version, without importing it (~50 ms). */
    private Availability probe() {
        WorkerKey key = pool.key();
        String program = String.join("\n",
                "import sys, json, os, importlib.util, importlib.metadata as md",
                "sys.path[:0] = sys.argv[2:]",
                "name = sys.argv[1]",
                "spec = importlib.util.find_spec(name)",
                "if spec is None: print(json.dumps({'found': False})); sys.exit(0)",
                "origin = spec.origin or ''",
                "try: v = md.version(name)",
                "except Exception: v = 'unpackaged@%d' % int(os.path.getmtime(origin)) if origin else 'unknown'",
                "tools = {}",
                "import shutil, subprocess",
                "for exe in os.environ.get('RL_EXES', '').split():",
                "    path = shutil.which(exe, path='/usr/local/bin:/usr/bin:/bin')",
                "    if path is None: print(json.dumps({'found': False, 'missing': exe})); sys.exit(0)",
                "    r = subprocess.run([path, '--version'], capture_output=True, text=True)",
                "    if r.returncode != 0: r = subprocess.run([path, '-v'], capture_output=True, text=True)",
                "    out = (r.stdout.strip() or r.stderr.strip()).splitlines()",
                "    tools[exe] = out[0] if out else 'unknown'",
                "print(json.dumps({'found': True, 'version': v, 'origin': origin, 'tools': tools,",
                "  'python': '%d.%d.%d' % sys.version_info[:3]}))");
        List<String> cmd = new ArrayList<>(List.of(key.python().toString(), "-I", "-c", program, library));
        key.pythonPath().forEach(p -> cmd.add(p.toString()));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("RL_EXES", String.join(" ", executables));
            Process p = pb.start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Availability.no(key.python() + " did not answer within 30 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            JsonNode info;
            try {
                info = JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
            } catch (IOException e) {
                return Availability.no(key.python() + " failed: " + out);
            }
            if (!info.path("found").asBoolean()) {
                String what = info.has("missing") ? "program '" + info.get("missing").asText() + "' is not installed"
                        : "Python module '" + library + "' is not importable by " + key.python();
                return Availability.no(what + "; " + installHint);
            }
            StringBuilder tools = new StringBuilder();
            info.path("tools").properties().forEach(e -> tools.append("|").append(e.getValue().asText()));
            version = String.join("|", "worker:" + scriptHash, library + ":" + info.path("version").asText(),
                    "python:" + info.path("python").asText(), key.python().toString()) + tools;
            String detail = executables.isEmpty() ? library + " " + info.path("version").asText()
                    : String.join(", ", info.path("tools").properties().stream().map(e -> e.getValue().asText()).distinct().toList());
            return Availability.yes(detail + " on Python " + info.path("python").asText() + " (" + key.python() + ")");
        } catch (IOException e) {
            return Availability.no("cannot run " + key.python() + ": " + e.getMessage()
                    + "; set RENDERLOOP_PYTHON or --python to an interpreter that has " + library);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Availability.no("interrupted");
        }
    }

    @Override
    public RenderResult render(RenderRequest request, Path outputDir) {
        long start = System.nanoTime();
        RenderSettings settings = request.settings();
        try {
            return pool.withWorker(worker -> {
                Path job = worker.newJobDir();
                try {
                    Files.writeString(job.resolve("scene.py"), request.code(), StandardCharsets.UTF_8);
                    ObjectNode message = JSON.createObjectNode();
                    message.put("type", "render");
                    message.put("id", job.getFileName().toString());
                    message.put("job_dir", job.toString());
                    message.set("settings", JSON.valueToTree(settings.toWire()));
                    JsonNode answer = worker.call(message, settings.timeout().plus(WORKER_GRACE));
                    return toResult(answer, job, outputDir, settings, elapsed(start));
                } finally {
                    Directories.delete(job);
                }
            });
        } catch (WorkerException e) {
            ErrorKind kind = switch (e.reason()) {
                case UNAVAILABLE -> ErrorKind.RENDERER_UNAVAILABLE;
                case CRASHED -> ErrorKind.RENDERER_CRASHED;
                case UNRESPONSIVE -> ErrorKind.TIMEOUT;
            };
            return RenderResult.failure(domain, kind, e.getMessage(), elapsed(start));
        } catch (IOException e) {
            return RenderResult.failure(domain, ErrorKind.RENDERER_CRASHED, "I/O error around the worker: " + e.getMessage(), elapsed(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RenderResult.failure(domain, ErrorKind.RENDERER_CRASHED, "interrupted while waiting for a worker", elapsed(start));
        }
    }

    /**
     * Maps the worker's answer to a result and moves the outputs out of the job directory. The
     * answer is written by the model's own process, so every path in it is checked: it must be a
     * regular file (no symbolic link) inside the job directory, and frames must be PNG files.
     */
    private RenderResult toResult(JsonNode answer, Path job, Path outputDir, RenderSettings settings, long millis) throws IOException {
        String log = answer.path("log_tail").asText("");
        long renderMillis = answer.path("millis").asLong(millis);
        if (!"ok".equals(answer.path("status").asText())) {
            ErrorKind kind = ErrorKind.fromWire(answer.path("error_kind").asText("runtime_error"));
            return new RenderResult(domain, kind, answer.path("error").asText(""), List.of(), null, null, null, millis, renderMillis, false, log);
        }
        long produced = Directories.size(job.resolve("out"));
        if (produced > settings.maxOutputBytes()) {
            return new RenderResult(domain, ErrorKind.OUTPUT_TOO_LARGE, String.format(
                    "the render wrote %,d bytes; the limit is %,d bytes", produced, settings.maxOutputBytes()),
                    List.of(), null, null, null, millis, renderMillis, false, log);
        }
        Map<Path, Path> moved = new HashMap<>();
        List<Path> frames = new ArrayList<>();
        try {
            Files.createDirectories(outputDir.resolve("frames"));
            for (JsonNode f : answer.path("frames")) {
                Path source = inside(job, f.asText(), true);
                frames.add(move(moved, source, outputDir.resolve("frames").resolve(String.format("frame_%05d.png", frames.size()))));
            }
            Path last = answer.hasNonNull("last_frame") ? inside(job, answer.get("last_frame").asText(), true) : null;
            Path media = answer.hasNonNull("media") ? inside(job, answer.get("media").asText(), false) : null;
            Path lastOut = last == null ? null : move(moved, last, outputDir.resolve("last.png"));
            Path mediaOut = media == null ? null : move(moved, media, outputDir.resolve("media" + extension(media)));
            if (frames.isEmpty()) {
                return new RenderResult(domain, ErrorKind.NO_SCENE, "the render produced no frames", List.of(), null, null, null, millis, renderMillis, false, log);
            }
            String scene = answer.hasNonNull("scene") ? answer.get("scene").asText() : null;
            Map<String, String> details = new java.util.TreeMap<>();
            answer.path("details").properties().forEach(e -> details.put(e.getKey(), e.getValue().asText()));
            return new RenderResult(domain, null, "", frames, mediaOut, lastOut == null ? frames.getLast() : lastOut,
                    scene, millis, renderMillis, false, log, details);
        } catch (IllegalStateException e) {
            return new RenderResult(domain, ErrorKind.RUNTIME_ERROR, e.getMessage(), List.of(), null, null, null, millis, renderMillis, false, log);
        }
    }

    private static Path move(Map<Path, Path> moved, Path source, Path target) throws IOException {
        Path done = moved.get(source);
        if (done != null) {
            return done;
        }
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        moved.put(source, target);
        return target;
    }

    private static Path inside(Path job, String reported, boolean mustBePng) throws IOException {
        Path p = Path.of(reported).normalize();
        if (!p.isAbsolute() || !p.startsWith(job)) {
            throw new IllegalStateException("the render reported an output outside its directory: " + reported);
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || !p.toRealPath().startsWith(job.toRealPath())) {
            throw new IllegalStateException("the render reported an output that is not a regular file: " + job.relativize(p));
        }
        if (mustBePng) {
            byte[] head = new byte[4];
            try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                if (in.readNBytes(head, 0, 4) != 4 || !java.util.Arrays.equals(head, PNG_MAGIC)) {
                    throw new IllegalStateException("the render produced a frame that is not a PNG image: " + job.relativize(p));
                }
            }
        }
        return p;
    }

    private static String extension(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot).toLowerCase(java.util.Locale.ROOT);
    }

    private static long elapsed(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    @Override
    public void close() {
        pool.close();
    }
}
