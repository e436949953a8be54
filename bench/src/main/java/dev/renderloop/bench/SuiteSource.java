package dev.renderloop.bench;

import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Suites named on the command line:
 * <ul>
 *   <li>{@code svg}, {@code bundled:svg}: a bundled suite (svg, smiles, rdkit, html, tikz);</li>
 *   <li>{@code manimbench:PATH}: ManimBench from its JSONL ({@code id}, {@code description}, {@code code},
 *       {@code level}, {@code split}) or its published parquet ({@code Reviewed Description}, {@code Code},
 *       {@code Type}, {@code Split}; ids {@code mb-SPLIT-NNNN} in file order), read where it lies, never copied;</li>
 *   <li>a path to a JSONL suite file (id, domain, description and/or target, code; see the README).</li>
 * </ul>
 * Filters: split and level (case-insensitive), then the first {@code limit} tasks.
 */
public final class SuiteSource {
    private SuiteSource() {
    }

    /** A loaded, filtered suite. */
    public record Loaded(String name, List<Task> tasks) {
    }

    /**
     * Loads and filters.
     *
     * @throws IllegalArgumentException for an unknown name, a missing file, bad rows (with the line), or no task left
     */
    public static Loaded load(String spec, String split, String level, Integer limit) throws IOException {
        String name;
        List<Task> tasks;
        List<String> splits = new ArrayList<>();
        if (spec.startsWith("manimbench:")) {
            Path path = Path.of(spec.substring("manimbench:".length()));
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("no ManimBench file at " + path);
            }
            name = "manimbench:" + path.getFileName();
            if (path.toString().endsWith(".parquet")) {
                tasks = new ArrayList<>();
                readParquet(path, tasks, splits);
            } else {
                tasks = new ArrayList<>(Suites.readJsonl(path, "manim").tasks());
                splits.addAll(jsonlSplits(path, tasks.size()));
            }
        } else {
            String domain = spec.startsWith("bundled:") ? spec.substring("bundled:".length()) : spec;
            if (Suites.BUNDLED.contains(domain)) {
                name = "bundled:" + domain;
                tasks = new ArrayList<>(Suites.bundled(domain).tasks());
            } else {
                Path path = Path.of(spec);
                if (!Files.isRegularFile(path) && (spec.contains("/") || spec.contains("."))) {
                    // Bundled names have neither: this was meant as a file.
                    throw new IllegalArgumentException("no such file: " + spec + (Files.exists(path) ? " (not a regular file)" : ""));
                }
                if (!Files.isRegularFile(path)) {
                    throw new IllegalArgumentException("unknown suite '" + spec + "': expected one of " + Suites.BUNDLED
                            + ", manimbench:PATH or a JSONL suite file");
                }
                Suite suite = Suites.readJsonl(path);
                name = suite.name();
                tasks = new ArrayList<>(suite.tasks());
            }
        }
        List<Task> kept = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            if (split != null && (splits.isEmpty() || !split.equalsIgnoreCase(splits.get(i)))) {
                if (splits.isEmpty()) {
                    throw new IllegalArgumentException("--split applies to ManimBench suites only");
                }
                continue;
            }
            if (level != null && (t.level() == null || !level.equalsIgnoreCase(t.level()))) {
                continue;
            }
            kept.add(t);
        }
        if (limit != null) {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1");
            }
            kept = kept.subList(0, Math.min(limit, kept.size()));
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("no task of " + name + " matches" + (split == null ? "" : " split " + split)
                    + (level == null ? "" : " level " + level));
        }
        String suffix = (split == null ? "" : "/" + split.toLowerCase(Locale.ROOT)) + (level == null ? "" : "/" + level);
        return new Loaded(name + suffix, List.copyOf(kept));
    }

    private static List<String> jsonlSplits(Path path, int count) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(path)) {
            if (!line.isBlank()) {
                out.add(RunStore.JSON.readTree(line).path("split").asText(""));
            }
        }
        return out.size() == count ? out : List.of();
    }

    private static void readParquet(Path path, List<Task> tasks, List<String> splits) throws IOException {
        String sql = "SELECT \"Reviewed Description\", \"Code\", \"Type\", \"Split\" FROM read_parquet(?)";
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, path.toAbsolutePath().toString());
            try (ResultSet r = p.executeQuery()) {
                int i = 0;
                while (r.next()) {
                    String split = r.getString(4) == null ? "" : r.getString(4).toLowerCase(Locale.ROOT);
                    tasks.add(new Task(String.format(Locale.ROOT, "mb-%s-%04d", split, i++), "manim", r.getString(1), r.getString(2),
                            null, r.getString(3)));
                    splits.add(split);
                }
            }
        } catch (SQLException e) {
            throw new IllegalArgumentException("cannot read ManimBench parquet " + path + " (expected columns Reviewed Description, "
                    + "Code, Type, Split): " + e.getMessage(), e);
        }
    }
}
