package dev.renderloop.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The static HTML report of benchmark runs: a page per run ({@code RUN/report/index.html}: metrics with 95 %
 * confidence intervals, per-level breakdown, charts, task list), a page per task ({@code RUN/report/tasks/ID.html}:
 * reference and final renders side by side, code diff, attempt history), and a page comparing runs.
 *
 * <p>The pages open from disk with no server and no network: CSS and SVG charts are inline, there is no
 * script, and frames are linked by paths relative to the page ({@code ../artifacts/...}), so the run folder can
 * be moved whole. Every text that comes from a run (task descriptions, code, model answers, errors) is
 * HTML-escaped. Reading a run opens its database read-only.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /**
     * Why a run folder cannot be reported, or empty when it can: the folder, results.duckdb or summary.json is
     * missing, summary.json is not a JSON object, or the database cannot be read (e.g. not a DuckDB file).
     */
    public static Optional<String> check(RunLayout run) {
        Objects.requireNonNull(run, "run");
        try {
            ReportInput.load(run);
            return Optional.empty();
        } catch (ReportInput.Unreadable e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Writes the run's report: {@code report/index.html} and one page per task under {@code report/tasks/}
     * (task pages of an earlier report of the same run are replaced).
     *
     * @return the index page
     * @throws IllegalArgumentException when the run folder cannot be reported ({@link #check} says why)
     * @throws IOException              when a page cannot be written
     */
    public static Path write(RunLayout run) throws IOException {
        ReportInput input = load(run);
        Path reportDir = run.reportDir();
        Path tasksDir = reportDir.resolve("tasks");
        Files.createDirectories(tasksDir);
        try (DirectoryStream<Path> old = Files.newDirectoryStream(tasksDir, "*.html")) {
            for (Path p : old) {
                Files.delete(p);
            }
        }
        Map<String, String> files = taskFiles(input.tasks());
        for (ReportInput.Task t : input.tasks()) {
            Files.writeString(tasksDir.resolve(files.get(t.id())), ReportPages.task(input, t), StandardCharsets.UTF_8);
        }
        Path index = reportDir.resolve("index.html");
        Files.writeString(index, ReportPages.index(input, files), StandardCharsets.UTF_8);
        return index;
    }

    /**
     * Writes {@code outDir/comparison.html}: one row per run and strategy with n, RSR, VS (paper and corrected),
     * CodeBLEU, CBB, AST distance and mean rounds as "mean [lo, hi]", or "n/a" with the reason as a tooltip.
     * Run names link to each run's {@code report/index.html} when it exists.
     *
     * @return the comparison page
     * @throws IllegalArgumentException when a run folder cannot be reported
     */
    public static Path writeComparison(List<RunLayout> runs, Path outDir) throws IOException {
        Objects.requireNonNull(outDir, "outDir");
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs to compare");
        }
        List<ReportInput> inputs = new ArrayList<>();
        for (RunLayout r : runs) {
            inputs.add(load(r));
        }
        Files.createDirectories(outDir);
        Path page = outDir.resolve("comparison.html");
        Files.writeString(page, ReportPages.comparison(inputs, outDir), StandardCharsets.UTF_8);
        return page;
    }

    private static ReportInput load(RunLayout run) {
        Objects.requireNonNull(run, "run");
        try {
            return ReportInput.load(run);
        } catch (ReportInput.Unreadable e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Task id -> page file name: the id as a safe path segment, made unique when two ids map to the same one. */
    static Map<String, String> taskFiles(List<ReportInput.Task> tasks) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (ReportInput.Task t : tasks) {
            String base = RunLayout.safe(t.id());
            String name = base;
            for (int i = 2; !used.add(name.toLowerCase(java.util.Locale.ROOT)); i++) {
                name = base + "-" + i;  // lower-cased check: case-insensitive file systems
            }
            out.put(t.id(), name + ".html");
        }
        return out;
    }
}
