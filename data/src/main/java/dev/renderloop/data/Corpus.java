package dev.renderloop.data;

import dev.renderloop.bench.SuiteSource;
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
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where reference programs come from, with the licence the dataset inherits.
 *
 * <p>Sources ({@link #load}): a bundled suite ({@code svg}, {@code bundled:svg}, ...), {@code manimbench:PATH} (the
 * JSONL or the published parquet, read by bench's {@link SuiteSource}), a JSONL suite file (the suite format), or a
 * Parquet corpus with the columns {@code id}, {@code domain}, {@code code} and optionally {@code description}.
 *
 * @param name    the source's name as reported (e.g. {@code bundled:svg}, {@code manimbench:train.jsonl})
 * @param licence the licence of the input as far as RenderLoop knows it; derived datasets carry it
 * @param tasks   the reference programs, in source order
 */
public record Corpus(String name, String licence, List<Task> tasks) {
    /** The licence of ManimBench (and therefore of every dataset derived from it). */
    public static final String MANIMBENCH_LICENCE = "CC BY-NC-SA 4.0 (ManimBench v2, R. S. Rammuni Silva et al.; derivatives carry it)";
    static final String BUNDLED_LICENCE = "written for RenderLoop; the repository's licence";
    static final String USER_LICENCE = "not stated: a user corpus; its own licence applies";

    public Corpus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(licence, "licence");
        tasks = List.copyOf(tasks);
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("corpus " + name + " has no task");
        }
    }

    /**
     * Loads a source.
     *
     * @param split ManimBench split filter (e.g. {@code train}), or null
     * @param limit only the first N programs, or null
     * @throws IllegalArgumentException for an unknown name, a missing or malformed file (with the line or column)
     */
    public static Corpus load(String spec, String split, Integer limit) throws IOException {
        Objects.requireNonNull(spec, "spec");
        if (spec.endsWith(".parquet") && !spec.startsWith("manimbench:")) {
            return readParquet(Path.of(spec), limit);
        }
        SuiteSource.Loaded loaded = SuiteSource.load(spec, split, null, limit);
        String bundledName = spec.startsWith("bundled:") ? spec.substring("bundled:".length()) : spec;
        String licence = spec.startsWith("manimbench:") ? MANIMBENCH_LICENCE
                : Suites.BUNDLED.contains(bundledName) ? BUNDLED_LICENCE : USER_LICENCE;
        return new Corpus(loaded.name(), licence, loaded.tasks());
    }

    private static Corpus readParquet(Path path, Integer limit) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no corpus file at " + path);
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1");
        }
        List<Task> tasks = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             PreparedStatement p = c.prepareStatement("SELECT * FROM read_parquet(?)")) {
            p.setString(1, path.toAbsolutePath().toString());
            try (ResultSet r = p.executeQuery()) {
                Set<String> columns = new HashSet<>();
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    columns.add(r.getMetaData().getColumnName(i));
                }
                for (String required : List.of("id", "domain", "code")) {
                    if (!columns.contains(required)) {
                        throw new IllegalArgumentException("corpus " + path + " has no column '" + required
                                + "' (expected id, domain, code and optionally description)");
                    }
                }
                int row = 0;
                while (r.next() && (limit == null || tasks.size() < limit)) {
                    row++;
                    String id = r.getString("id");
                    String domain = r.getString("domain");
                    String code = r.getString("code");
                    if (id == null || id.isBlank() || domain == null || domain.isBlank() || code == null || code.isEmpty()) {
                        throw new IllegalArgumentException("corpus " + path + " row " + row + ": id, domain and code must be non-empty");
                    }
                    if (!ids.add(id)) {
                        throw new IllegalArgumentException("corpus " + path + " row " + row + ": the id " + id + " appears twice");
                    }
                    String description = columns.contains("description") ? r.getString("description") : "";
                    tasks.add(new Task(id, domain, description, code, null, null));
                }
            }
        } catch (SQLException e) {
            throw new IllegalArgumentException("cannot read parquet corpus " + path + ": " + e.getMessage(), e);
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("corpus " + path + " has no row");
        }
        return new Corpus(path.getFileName().toString(), USER_LICENCE, tasks);
    }
}
