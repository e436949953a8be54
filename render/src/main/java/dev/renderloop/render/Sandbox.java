package dev.renderloop.render;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How model-written programs are confined. Two layers:
 *
 * <ol>
 *   <li><b>Around the worker</b> (this class): bubblewrap puts the whole Python worker (or Chromium) in
 *       new user, network, PID, IPC and UTS namespaces whose file system is an allowlist ({@link #ALLOWED}:
 *       {@code /usr} and the few files of {@code /etc} and {@code /var} the runtimes read, read-only),
 *       empty tmpfs at {@code /tmp}, {@code /var/tmp} and {@code /run}, a new {@code /dev} and
 *       {@code /proc}, the interpreter's own directories read-only and the worker's scratch directory
 *       read-write; an environment built from an allowlist, and {@code --die-with-parent} as a
 *       dead-man's switch.
 *       When the JVM runs as root, the worker first drops to uid/gid 65534 with {@code setpriv}: the
 *       kernel never enforces the process-count limit against root.</li>
 *   <li><b>Around each job</b> (the worker package's {@code isolation} module): a forked child in new user, mount and PID namespaces (it
 *       cannot see or signal the warm parent, which is not dumpable either), behind a seccomp filter
 *       without ptrace, process_vm_* and the keyring, whose writable places (its directory, /tmp,
 *       /var/tmp, /dev/shm) are one fresh tmpfs bounded at the job's output limit, the rest of the
 *       scratch directory read-only; in its own process group with address-space,
 *       CPU-time, file-size, process-count and open-file limits, killed as a group on timeout, and
 *       every leftover descendant killed before the next job (the worker is a child subreaper). A tikz
 *       job whose programs are copies of the driver's fork servers (pdflatex, pdftoppm) needs no job
 *       child: each copy jails itself the same way (fork_server.c: namespaces, bounded tmpfs, seccomp,
 *       no capabilities) under the job's limits, and the deadline and the cleanup are the same.</li>
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
    /**
     * What the sandbox shows of the host, read-only: the system's programs and libraries, and the few
     * files under /etc and /var that the interpreter, fontconfig, TeX, matplotlib and Chromium read.
     * Nothing else of the host is there (no /home, /root, /opt, /srv, /mnt, /work, no other /tmp):
     * the worker's own directories are added by {@link #wrap}. Entries that do not exist are skipped;
     * /bin, /lib and the like are recreated as the links they are on a merged-/usr system.
     */
    static final List<String> ALLOWED = List.of(
            "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
            "/etc/alternatives", "/etc/fonts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
            "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/mime.types",
            "/etc/matplotlibrc", "/etc/texmf", "/etc/papersize", "/etc/libpaper.d", "/etc/chromium", "/etc/chromium.d",
            "/etc/ImageMagick-6", "/etc/ghostscript", "/etc/python3", "/etc/python3.11", "/etc/python3.12", "/etc/python3.13",
            "/var/lib/texmf", "/var/cache/fontconfig", "/var/cache/fonts", "/var/lib/ghostscript");
    /** Empty, writable only inside one sandbox: what programs expect to find, never the host's. */
    /** What the fallback gives, and what it cannot. */
    private static final String FALLBACK = ", environment allowlist; per job, where the kernel permits user namespaces: "
            + "network, user, PID and mount namespaces, private bounded /tmp, seccomp filter, process group, rlimits. "
            + "NOT GIVEN without bubblewrap: a file-system allowlist (a job can read every host file its uid can: "
            + "project trees, mirrors, other users' world-readable files), and a namespace around the warm worker itself";
    private static final List<String> EMPTY = List.of("/tmp", "/var/tmp", "/run");

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
                    "bubblewrap (user, net, pid, ipc, uts and mount namespaces; file system: an allowlist of system directories); " + uidNote
                            + "; per job: process group, rlimits on memory, CPU, file size, processes");
            String failure = candidate.probe();
            if (failure == null) {
                return candidate;
            }
            return new Sandbox(Level.PROCESS_LIMITS, drop, null, setpriv,
                    "bubblewrap present but unusable here (" + failure + "); fallback: " + uidNote + FALLBACK);
        }
        return new Sandbox(Level.PROCESS_LIMITS, drop, null, setpriv,
                (allowBubblewrap ? "bubblewrap not installed (apt-get install bubblewrap)" : "bubblewrap disabled (RENDERLOOP_SANDBOX=limits)")
                        + "; fallback: " + uidNote + FALLBACK);
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
            out.addAll(bubblewrap(scratch, readOnly, env, false));
        }
        out.addAll(command);
        return out;
    }

    /**
     * Wraps {@code command} in bubblewrap (the allowlist, no network, its own PID and mount namespaces, no
     * capabilities) without changing its user: for a program whose files lie where uid 65534 cannot read them (the
     * JVM's class path under a home directory) and that runs no code of the job's, as the SVG drawing child.
     * Without bubblewrap, {@code command} unchanged.
     */
    List<String> wrapKeepingUser(List<String> command, Path scratch, List<Path> readOnly, Map<String, String> env) {
        if (level != Level.BUBBLEWRAP) {
            return command;
        }
        List<String> out = new ArrayList<>(bubblewrap(scratch, readOnly, env, true));
        out.addAll(command);
        return out;
    }

    /** bubblewrap's arguments up to {@code --}; {@code dropCapabilities}: as root, bubblewrap otherwise keeps them all. */
    private List<String> bubblewrap(Path scratch, List<Path> readOnly, Map<String, String> env, boolean dropCapabilities) {
        List<String> out = new ArrayList<>(List.of(bwrap, "--unshare-all", "--die-with-parent", "--new-session"));
        if (dropCapabilities) {
            out.addAll(List.of("--cap-drop", "ALL"));
        }
        for (String allowed : ALLOWED) {
            Path p = Path.of(allowed);
            if (Files.isSymbolicLink(p)) {
                try {
                    out.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), allowed));
                } catch (IOException e) {
                    // unreadable link: leave it out, as if it did not exist
                }
            } else if (Files.exists(p)) {
                out.addAll(List.of("--ro-bind", allowed, allowed));
            }
        }
        out.addAll(List.of("--dev", "/dev", "--proc", "/proc"));
        for (String empty : EMPTY) {
            out.addAll(List.of("--tmpfs", empty));
        }
        for (Path p : readOnly) {
            if (Files.exists(p) && !isAllowed(p)) {
                out.addAll(List.of("--ro-bind", p.toString(), p.toString()));
            }
        }
        out.addAll(List.of("--bind", scratch.toString(), scratch.toString(), "--chdir", scratch.toString(), "--clearenv"));
        env.forEach((k, v) -> out.addAll(List.of("--setenv", k, v)));
        out.add("--");
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

    /** Whether the allowlist already shows p (so binding it again is redundant). */
    private static boolean isAllowed(Path p) {
        String s = p.toAbsolutePath().normalize().toString();
        return ALLOWED.stream().anyMatch(h -> s.equals(h) || s.startsWith(h + "/"));
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
