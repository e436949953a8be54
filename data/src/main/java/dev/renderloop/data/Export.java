package dev.renderloop.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.renderloop.data.BuildReport.DomainCounts;
import dev.renderloop.data.BuildReport.KindCounts;
import dev.renderloop.data.BuildStore.DefectRow;
import dev.renderloop.data.BuildStore.Reference;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the dataset from the build store: per task ({@link #CONFIGS}) a JSONL file and the same rows as Parquet
 * (DuckDB {@code COPY ... TO}), one metadata file per task (row number, source, id, domain, defect, render error or
 * score, images), the dataset card, the samples page and {@code report.json}. Files are written to a temporary name
 * and moved into place, so a kill never leaves a half-written file under the final name.
 */
final class Export {
    /** The three tasks, as dataset configurations. */
    static final List<String> CONFIGS = List.of("text2code", "image2code", "optimise");
    /** The training files' columns, exactly: what the trainer reads. */
    static final String CHAT_COLUMNS = "{'messages': 'STRUCT(role VARCHAR, content VARCHAR)[]', 'images': 'VARCHAR[]'}";
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Export() {
    }

    static BuildReport write(Path out, List<Corpus> corpora, List<Reference> refs, Map<String, Reference> kept,
                             Map<String, Map<String, Integer>> refRejections, List<DefectRow> defects, Map<String, String> apiNote,
                             BuildOptions options, int rendersNow, long wallMillis, String command) throws IOException {
        Map<String, List<ObjectNode>> rows = new LinkedHashMap<>();
        Map<String, List<ObjectNode>> meta = new LinkedHashMap<>();
        CONFIGS.forEach(c -> {
            rows.put(c, new ArrayList<>());
            meta.put(c, new ArrayList<>());
        });
        Map<String, int[]> counts = new TreeMap<>(); // programs, rendered, kept, t2c, i2c, opt
        for (Reference r : refs) {
            int[] c = counts.computeIfAbsent(r.domain(), d -> new int[6]);
            c[0]++;
            c[1] += r.errorKind() == null ? 1 : 0;
        }
        for (Reference r : kept.values()) {
            int[] c = counts.get(r.domain());
            c[2]++;
            if (!r.description().isBlank()) {
                add(rows, meta, "text2code", ChatLayout.textToCode(r.domain(), r.description(), r.code()), r, null);
                c[3]++;
            }
            if (!r.domain().equals("manim") && r.image() != null) {
                add(rows, meta, "image2code", ChatLayout.imageToCode(r.domain(), r.image(), r.code()), r, null);
                c[4]++;
            }
        }
        Map<String, Map<String, KindCounts>> kinds = new TreeMap<>();
        Map<String, Map<String, Integer>> defectRejections = new TreeMap<>();
        List<DefectRow> keptDefects = new ArrayList<>();
        for (DefectRow d : defects) {
            Reference r = kept.get(d.uid());
            if (r == null) {
                continue; // a defect of a program no longer kept (cannot happen with the same options; the store checks them)
            }
            kinds.computeIfAbsent(r.domain(), k -> new TreeMap<>()).merge(d.kind(), new KindCounts(0, 0, 0, 0).plus(d.verdict()),
                    (a, b) -> a.plus(d.verdict()));
            if (!d.kept()) {
                defectRejections.computeIfAbsent(r.domain(), k -> new TreeMap<>()).merge(d.verdict().replaceFirst("^rejected_", ""), 1, Integer::sum);
                continue;
            }
            String image = r.domain().equals("manim") ? null : r.image();
            String error = d.verdict().equals(BuildReport.KEPT_ERROR) ? d.error() : null;
            add(rows, meta, "optimise", ChatLayout.optimisation(r.domain(), image, r.description(), d.code(), error, r.code()), r, d);
            counts.get(r.domain())[5]++;
            keptDefects.add(d);
        }
        for (String config : CONFIGS) {
            writeJsonl(out.resolve(config + ".jsonl"), rows.get(config));
            writeJsonl(out.resolve(config + ".meta.jsonl"), meta.get(config));
            writeParquet(out, config);
        }
        Map<String, DomainCounts> domains = new TreeMap<>();
        int pairs = 0;
        for (var e : counts.entrySet()) {
            int[] c = e.getValue();
            domains.put(e.getKey(), new DomainCounts(c[0], c[1], c[2], c[3], c[4], c[5]));
            pairs += c[3] + c[4] + c[5];
        }
        List<BuildReport.Source> sources = new ArrayList<>();
        corpora.forEach(c -> sources.add(new BuildReport.Source(c.name(), c.licence(), c.tasks().size())));
        BuildReport report = new BuildReport(out, sources, domains, refRejections, kinds, defectRejections, apiNote, pairs, rendersNow,
                wallMillis, command);
        writeAtomically(out.resolve("report.json"), PRETTY.writeValueAsString(reportJson(report, options)));
        writeAtomically(out.resolve("README.md"), DatasetCard.markdown(report, options, rows));
        writeAtomically(out.resolve("samples.html"), SamplesPage.html(report, kept, keptDefects, options.samplesPerDomain()));
        return report;
    }

    private static Map<String, Object> reportJson(BuildReport r, BuildOptions options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("command", r.command());
        m.put("options", options);
        m.put("sources", r.sources());
        m.put("domains", r.domains());
        m.put("reference_rejections", r.referenceRejections());
        m.put("defect_kinds", r.defectKinds());
        m.put("defect_rejections", r.defectRejections());
        m.put("api_names", r.apiNames());
        m.put("pairs", r.pairs());
        m.put("renders_this_run", r.rendersNow());
        m.put("wall_seconds_this_run", r.wallMillis() / 1000.0);
        m.put("pairs_per_second_this_run", r.pairsPerSecond());
        return m;
    }

    private static void add(Map<String, List<ObjectNode>> rows, Map<String, List<ObjectNode>> meta, String config, ObjectNode row,
                            Reference r, DefectRow d) {
        ObjectNode m = ChatLayout.JSON.createObjectNode();
        m.put("row", rows.get(config).size());
        m.put("source", r.source());
        m.put("id", r.id());
        m.put("domain", r.domain());
        m.put("target_image", r.image());
        m.put("defect_kind", d == null ? null : d.kind());
        m.put("defect_line", d == null ? null : d.line());
        m.put("defect_before", d == null ? null : d.before());
        m.put("defect_after", d == null ? null : d.after());
        m.put("defect_verdict", d == null ? null : d.verdict());
        m.put("defect_error_kind", d == null ? null : d.errorKind());
        m.put("defect_error", d == null || d.errorKind() == null ? null : d.error());
        if (d == null || d.score() == null) {
            m.putNull("defect_score");
        } else {
            m.put("defect_score", d.score());
        }
        m.put("defect_image", d == null ? null : d.image());
        rows.get(config).add(row);
        meta.get(config).add(m);
    }

    private static void writeJsonl(Path file, List<ObjectNode> rows) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (ObjectNode row : rows) {
                w.write(ChatLayout.JSON.writeValueAsString(row));
                w.write('\n');
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The JSONL's rows as Parquet, with the column types fixed (an empty {@code images} list stays a list of strings). */
    private static void writeParquet(Path out, String config) throws IOException {
        Path jsonl = out.resolve(config + ".jsonl").toAbsolutePath();
        Path parquet = out.resolve(config + ".parquet").toAbsolutePath();
        Path tmp = parquet.resolveSibling(config + ".parquet.tmp");
        Path metaJsonl = out.resolve(config + ".meta.jsonl").toAbsolutePath();
        Path metaParquet = out.resolve(config + ".meta.parquet").toAbsolutePath();
        Path metaTmp = metaParquet.resolveSibling(config + ".meta.parquet.tmp");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT messages, images FROM read_json(" + literal(jsonl) + ", format = 'newline_delimited', columns = "
                    + CHAT_COLUMNS + ")) TO " + literal(tmp) + " (FORMAT parquet)");
            s.execute("COPY (SELECT * FROM read_json(" + literal(metaJsonl) + ", format = 'newline_delimited', columns = "
                    + "{'row': 'BIGINT', 'source': 'VARCHAR', 'id': 'VARCHAR', 'domain': 'VARCHAR', 'target_image': 'VARCHAR', "
                    + "'defect_kind': 'VARCHAR', 'defect_line': 'INTEGER', 'defect_before': 'VARCHAR', 'defect_after': 'VARCHAR', "
                    + "'defect_verdict': 'VARCHAR', 'defect_error_kind': 'VARCHAR', 'defect_error': 'VARCHAR', "
                    + "'defect_score': 'DOUBLE', 'defect_image': 'VARCHAR'})) TO " + literal(metaTmp) + " (FORMAT parquet)");
        } catch (SQLException e) {
            throw new IOException("cannot write " + parquet + ": " + e.getMessage(), e);
        }
        Files.move(tmp, parquet, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(metaTmp, metaParquet, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A SQL string literal (COPY takes no bind parameters for its paths). */
    static String literal(Path p) {
        return "'" + p.toString().replace("'", "''") + "'";
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
