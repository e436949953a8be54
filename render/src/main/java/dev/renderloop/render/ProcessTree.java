package dev.renderloop.render;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A process and its descendants, read from {@code /proc}: memory, command lines, and a kill that
 * takes the whole tree. Stateless; safe from any thread.
 */
final class ProcessTree {
    private ProcessTree() {
    }

    /** {@code root} and its live descendants, root first. */
    static List<ProcessHandle> of(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        return all;
    }

    /** Resident set size of one process in bytes (VmRSS), 0 when it is gone or a zombie. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone between listing and reading: it holds no memory any more
        }
        return 0;
    }

    /**
     * Sum of the resident set sizes over the tree. Pages shared between processes count once per
     * process, so this overstates what the tree costs; it is a cheap, monotone signal for recycling.
     */
    static long rssBytes(ProcessHandle root) {
        return of(root).stream().mapToLong(p -> rssBytes(p.pid())).sum();
    }

    /** The command line of a process, arguments joined by spaces; empty when it is gone. */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Kills {@code root} and every descendant: the descendants are listed before anything is
     * signalled (once the root dies they are re-parented and no longer findable from it), asked to
     * terminate deepest-first and the root last, and killed forcibly if any is still alive after
     * {@code grace}. Returns when all of them are gone or {@code grace} has passed a second time.
     */
    static void kill(ProcessHandle root, Duration grace) {
        kill(of(root), grace);
    }

    /**
     * Kills {@code tree} (a snapshot taken earlier with {@link #of}, root first) and anything still
     * descending from its members, as {@link #kill(ProcessHandle, Duration)} does.
     */
    static void kill(List<ProcessHandle> snapshot, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>();
        for (ProcessHandle p : snapshot) {
            if (!tree.contains(p)) {
                tree.add(p);
            }
            p.descendants().filter(d -> !tree.contains(d) && !snapshot.contains(d)).forEach(tree::add);
        }
        for (int i = tree.size() - 1; i >= 0; i--) {
            tree.get(i).destroy();
        }
        if (awaitExit(tree, grace)) {
            return;
        }

        // Anything forked while we waited is found again from the survivors.
        List<ProcessHandle> survivors = new ArrayList<>();
        for (ProcessHandle p : tree) {
            if (running(p)) {
                p.descendants().forEach(survivors::add);
                survivors.add(p);
            }
        }
        for (int i = survivors.size() - 1; i >= 0; i--) {
            survivors.get(i).destroyForcibly();
        }
        awaitExit(survivors, grace);
    }

    /**
     * Whether a process still runs. Unlike {@link ProcessHandle#isAlive()}, a zombie counts as gone: it
     * has exited, and waiting for whoever reaps it (here, a slow init for orphans) gains nothing.
     */
    static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            int close = stat.lastIndexOf(')');
            char state = close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls rather than {@code onExit()}: for processes that are not our children the JDK polls with long back-offs. */
    private static boolean awaitExit(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (processes.stream().anyMatch(ProcessTree::running)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
