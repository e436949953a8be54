package dev.renderloop.bench;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a benchmark run keeps its files. Everything a report needs is inside the run folder, with paths in the
 * database relative to it, so a run folder can be moved or archived whole.
 *
 * <pre>
 * RUN/results.duckdb                     tables run_meta, tasks, attempts, finals (schema.sql)
 * RUN/summary.json                       metrics per strategy and level with 95 % CIs, correlations
 * RUN/artifacts/TASK/reference/*.png     the reference render's frames
 * RUN/artifacts/TASK/STRATEGY/*.png      the final answer's frames
 * RUN/report/index.html                  the static report (report/tasks/TASK.html per task)
 * </pre>
 *
 * @param dir the run folder
 */
public record RunLayout(Path dir) {
    public RunLayout {
        Objects.requireNonNull(dir, "dir");
    }

    public Path database() {
        return dir.resolve("results.duckdb");
    }

    public Path summary() {
        return dir.resolve("summary.json");
    }

    public Path referenceFrames(String taskId) {
        return dir.resolve("artifacts").resolve(safe(taskId)).resolve("reference");
    }

    public Path finalFrames(String taskId, String strategy) {
        return dir.resolve("artifacts").resolve(safe(taskId)).resolve(safe(strategy));
    }

    public Path reportDir() {
        return dir.resolve("report");
    }

    /** A task id or strategy as a single path segment (ids come from user suites). */
    static String safe(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }
}
