package dev.renderloop.render;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How model-written programs are confined. Two layers:
 *
 * <ol>
 *   <li><b>Around the worker</b> (this class): bubblewrap puts the whole Python worker in new user,
 *       network, PID, IPC and UTS namespaces with a read-only view of the system, {@code /home},
 *       {@code /root}, {@code /tmp}, {@code /run} and {@code /var/tmp} replaced by empty tmpfs and a new
 *       {@code /dev} (only the worker's scratch directory and the interpreter's own directories are
 *       mapped back, wherever they are, {@code /dev/shm} included), an
 *       environment built from an allowlist, and {@code --die-with-parent} as a dead-man's switch.
 *       When the JVM runs as root, the worker first drops to uid/gid 65534 with {@code setpriv}: the
 *       kernel never enforces the process-count limit against root.</li>
 *   <li><b>Around each job</b> (worker.py): a forked child in its own process group with address-space,
 *       CPU-time, file-size, process-count and open-file limits, killed as a group on timeout, and
 *       every leftover descendant killed before the next job (the worker is a child subreaper). A tikz
 *       job whose programs are copies of the driver's fork servers (pdflatex, pdftoppm) needs no job
 *       child: each copy gets the job's limits, and the deadline and the cleanup are the same.</li>
 * </ol>
 *
 * <p>Without bubblewrap (not installed, or user namespaces disabled) the first layer falls back to
 * the uid drop and an environment allowlist, and the worker child unshares its own network
 * namespace where the kernel allows; {@link #description()} says what is missing, and the engine
 * logs it once.
 */
final class Sandbox {

    enum Level { BUBBLEWRAP, PROCESS_LIMITS }

    static final int NOBODY = 65534;
    private static final List<String> HIDDEN = List.of("/home", "/root", "/tmp", "/run", "/var/tmp", "/mnt", "/media", "/srv");

    private final Level level;
    private final boolean dropPrivileges;
    private final String bwrap;
    private final String setpriv;
    private final String description;

    private Sandbox(Level level, boolean dropPrivileges, String bwrap, String setpriv, String description) {
        this.level = level;
        this.dropPrivileges = dropPrivileges;
        this.bwrap = bwrap;
        this.setpriv = setpriv;
        this.description = description;
    }

    /**
     * Probes what this machine offers; runs one short command when bubblewrap is present.
     *
     * @param allowBubblewrap false forces the fallback (set by {@code RENDERLOOP_SANDBOX=limits}, for
     *                        machines whose bubblewrap misbehaves, and by the fallback's own tests)
     */
    static Sandbox detect(boolean allowBubblewrap) {
        boolean root = isRoot();
        String setpriv = findExecutable("setpriv");
        String bwrap = allowBubblewrap ? findExecutable("bwrap") : null;
        boolean drop = root && setpriv != null;
        String uidNote = !root ? "runs as the invoking user"
                : drop ? "drops root to uid 65534" : "STILL RUNS AS ROOT (setpriv missing: process-count limit not enforced)";
        if (bwrap != null) {
            Sandbox candidate = new Sandbox(Level.BUBBLEWRAP, drop, bwrap, setpriv,
                    "bubblewrap (user, net, pid, ipc, uts and mount namespaces; home, /tmp and /run hidden); " + uidNote
                            + "; per job: process group, rlimits on memory, CPU, file size, processes");
            String failure = candidate.probe();
            if (failure == null) {
                return candidate;
            }
            return new Sandbox(Level.PROCESS_LIMITS, drop, null, setpriv,
                    "bubblewrap present but unusable here (" + failure + "); fallback: " + uidNote
                            + ", environment allowlist, per-job network namespace where permitted, process group, rlimits");
        }
        return new Sandbox(Level.PROCESS_LIMITS, drop, null, setpriv,
                (allowBubblewrap ? "bubblewrap not installed (apt-get install bubblewrap)" : "bubblewrap disabled (RENDERLOOP_SANDBOX=limits)")
                        + "; fallback: " + uidNote
                        + ", environment allowlist, per-job network namespace where permitted, process group, rlimits");
    }

    Level level() {
        return level;
    }

    /** What confines model code here, in one line; mentions anything that is missing. */
    String description() {
        return description;
    }

    /** Whether the worker must unshare the network itself (no namespace around it). */
    boolean workerIsolatesNetwork() {
        return level != Level.BUBBLEWRAP;
    }

    /** The uid that files for the worker must belong to, or -1 to keep the JVM's. */
    int workerUid() {
        return dropPrivileges ? NOBODY : -1;
    }

    /**
     * Wraps {@code command} so that it runs confined.
     *
     * @param scratch  the only writable directory, mapped at the same path
     * @param readOnly directories or files the command needs that may lie in hidden places
     * @param env      the complete environment of the command
     */
    List<String> wrap(List<String> command, Path scratch, List<Path> readOnly, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        if (dropPrivileges) {
            out.addAll(List.of(setpriv, "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--inh-caps=-all"));
        }
        if (level == Level.BUBBLEWRAP) {
            out.addAll(List.of(bwrap, "--unshare-all", "--die-with-parent", "--new-session",
                    "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"));
            for (String hidden : HIDDEN) {
                if (Files.isDirectory(Path.of(hidden))) {
                    out.addAll(List.of("--tmpfs", hidden));
                }
            }
            for (Path p : readOnly) {
                if (Files.exists(p) && isUnderHidden(p)) {
                    out.addAll(List.of("--ro-bind", p.toString(), p.toString()));
                }
            }
            out.addAll(List.of("--bind", scratch.toString(), scratch.toString(), "--chdir", scratch.toString(), "--clearenv"));
            env.forEach((k, v) -> out.addAll(List.of("--setenv", k, v)));
            out.add("--");
        }
        out.addAll(command);
        return out;
    }

    /** The allowlisted environment for a worker whose scratch directory is {@code scratch}. */
    static Map<String, String> environment(Path scratch) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LANG", "C.UTF-8");
        env.put("LC_ALL", "C.UTF-8");
        env.put("HOME", scratch.toString());
        env.put("TMPDIR", scratch.resolve("tmp").toString());
        env.put("MPLCONFIGDIR", scratch.resolve(".matplotlib").toString());
        env.put("XDG_CACHE_HOME", scratch.resolve(".cache").toString());
        env.put("TEXMFVAR", scratch.resolve(".texmf-var").toString());
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONHASHSEED", "0");
        env.put("PYTHONUNBUFFERED", "1");
        // One BLAS/OpenMP thread: threads count against the process limit, and the pool parallelises.
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_NUM_THREADS", "1");
        env.put("MKL_NUM_THREADS", "1");
        return env;
    }

    /** Whether the sandbox's own mounts cover p: a hidden directory, or /dev (a new one: /dev/shm is empty there). */
    private static boolean isUnderHidden(Path p) {
        String s = p.toAbsolutePath().normalize().toString();
        return Stream.concat(HIDDEN.stream(), Stream.of("/dev")).anyMatch(h -> s.equals(h) || s.startsWith(h + "/"));
    }

    /** Runs {@code true} in the sandbox; returns null on success or the failure text. */
    private String probe() {
        try {
            Path scratch = Files.createTempDirectory("renderloop-probe");
            try {
                if (dropPrivileges) {
                    Files.setAttribute(scratch, "unix:uid", NOBODY);
                }
                List<String> cmd = wrap(List.of("/bin/true"), scratch, List.of(), environment(scratch));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "probe timed out";
                }
                String out = new String(p.getInputStream().readAllBytes()).strip();
                return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
            } finally {
                Files.deleteIfExists(scratch);
            }
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static String findExecutable(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/usr/bin:/bin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }
}
