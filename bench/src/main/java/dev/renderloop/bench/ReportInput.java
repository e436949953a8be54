package dev.renderloop.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Everything a report shows of one run, read once: summary.json and the four tables of results.duckdb (opened
 * read-only, so a report can be written beside a finished run without touching it).
 *
 * @param summary     summary.json as a tree (fields read leniently: a missing field shows as absent)
 * @param tasks       tasks ordered by id
 * @param finals      (task, strategy) -> final answer
 * @param attempts    (task, strategy) -> attempts in seq order
 * @param strategies  the summary's strategies, then any other strategy found in {@code finals}
 */
record ReportInput(RunLayout run, JsonNode summary, Map<String, String> meta, List<Task> tasks, Map<Key, Final> finals,
                   Map<Key, List<Attempt>> attempts, List<String> strategies) {

    /** The metric columns of {@code finals}, in table order. */
    static final List<String> FINAL_METRICS = List.of("vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim", "ssim",
            "tiled", "codebleu", "codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax", "codebleu_dataflow", "codebert",
            "cbb", "ast_distance", "syntax_ok");

    private static final ObjectMapper JSON = new ObjectMapper();

    record Key(String taskId, String strategy) {
    }

    record Task(String id, String domain, String level, String description, String referenceCode, String referenceStatus,
                String referenceError, List<String> referenceFrames) {
    }

    /** @param metrics metric column -> value, null when unavailable; unavailable: metric -> reason */
    record Final(String taskId, String strategy, String level, boolean success, int repairs, int attempts, long promptTokens,
                 long completionTokens, long policyMs, long renderMs, long wallMs, String finalCode, List<String> finalFrames,
                 String errorKind, String error, Map<String, Double> metrics, Map<String, String> unavailable) {
    }

    /** @param record the attempt's JSON record; an object with only "unparsed" when the stored text is not JSON */
    record Attempt(int seq, int round, String step, String renderStatus, String errorKind, JsonNode record) {
    }

    /** Thrown when a run folder cannot be reported; the message says why, for a person to act on. */
    static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    static ReportInput load(RunLayout run) throws Unreadable {
        JsonNode summary = readSummary(run);
        if (!Files.isRegularFile(run.database())) {
            throw new Unreadable("no results.duckdb in run folder " + run.dir());
        }
        Properties p = new Properties();
        p.setProperty("duckdb.read_only", "true");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.database().toAbsolutePath(), p);
             Statement st = c.createStatement()) {
            Map<String, String> meta = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT key, value FROM run_meta ORDER BY key")) {
                while (rs.next()) {
                    meta.put(rs.getString(1), rs.getString(2));
                }
            }
            List<Task> tasks = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT task_id, domain, level, description, reference_code, reference_status, "
                    + "reference_error, reference_frames FROM tasks ORDER BY task_id")) {
                while (rs.next()) {
                    tasks.add(new Task(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), stringList(rs.getString(8))));
                }
            }
            Map<Key, Final> finals = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT task_id, strategy, level, success, repairs, attempts, prompt_tokens, "
                    + "completion_tokens, policy_ms, render_ms, wall_ms, final_code, final_frames, error_kind, error, unavailable, "
                    + String.join(", ", FINAL_METRICS) + " FROM finals ORDER BY task_id, strategy")) {
                while (rs.next()) {
                    Map<String, Double> metrics = new LinkedHashMap<>();
                    for (int i = 0; i < FINAL_METRICS.size(); i++) {
                        double v = rs.getDouble(17 + i);
                        metrics.put(FINAL_METRICS.get(i), rs.wasNull() ? null : v);
                    }
                    Final f = new Final(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getInt(5),
                            rs.getInt(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                            rs.getString(12), stringList(rs.getString(13)), rs.getString(14), rs.getString(15), metrics,
                            stringMap(rs.getString(16)));
                    finals.put(new Key(f.taskId(), f.strategy()), f);
                }
            }
            Map<Key, List<Attempt>> attempts = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT task_id, strategy, seq, round, step, render_status, error_kind, record "
                    + "FROM attempts ORDER BY task_id, strategy, seq")) {
                while (rs.next()) {
                    attempts.computeIfAbsent(new Key(rs.getString(1), rs.getString(2)), k -> new ArrayList<>())
                            .add(new Attempt(rs.getInt(3), rs.getInt(4), rs.getString(5), rs.getString(6), rs.getString(7),
                                    record(rs.getString(8))));
                }
            }
            Set<String> strategies = new LinkedHashSet<>();
            summary.path("strategies").forEach(s -> strategies.add(s.asText()));
            finals.keySet().forEach(k -> strategies.add(k.strategy()));
            return new ReportInput(run, summary, meta, List.copyOf(tasks), finals, attempts, List.copyOf(strategies));
        } catch (SQLException e) {
            throw new Unreadable("cannot read " + run.database() + ": " + firstLine(e.getMessage()));
        }
    }

    /** summary.json, which must be a JSON object. */
    static JsonNode readSummary(RunLayout run) throws Unreadable {
        if (!Files.isDirectory(run.dir())) {
            throw new Unreadable("no run folder at " + run.dir());
        }
        if (!Files.isRegularFile(run.summary())) {
            throw new Unreadable("no summary.json in run folder " + run.dir());
        }
        try {
            JsonNode n = JSON.readTree(run.summary().toFile());
            if (n == null || !n.isObject()) {
                throw new Unreadable(run.summary() + " is not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new Unreadable(run.summary() + " is not valid JSON: " + firstLine(e.getMessage()));
        }
    }

    List<Attempt> attemptsOf(String taskId, String strategy) {
        return attempts.getOrDefault(new Key(taskId, strategy), List.of());
    }

    Final finalOf(String taskId, String strategy) {
        return finals.get(new Key(taskId, strategy));
    }

    /** A text field of summary.json, or "" when absent. */
    String summaryText(String field) {
        JsonNode n = summary.get(field);
        return n == null || n.isNull() ? "" : n.isValueNode() ? n.asText() : n.toString();
    }

    /** A JSON object of strings (summary's unavailable or not_applicable, or a finals.unavailable cell) as a map. */
    static Map<String, String> stringMap(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n != null && n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        return out;
    }

    private static Map<String, String> stringMap(String json) {
        try {
            return json == null ? Map.of() : stringMap(JSON.readTree(json));
        } catch (IOException e) {
            return Map.of("(unavailable)", "not valid JSON: " + json);
        }
    }

    private static List<String> stringList(String json) {
        List<String> out = new ArrayList<>();
        if (json == null || json.isBlank()) {
            return out;
        }
        try {
            JsonNode n = JSON.readTree(json);
            if (n != null && n.isArray()) {
                n.forEach(x -> out.add(x.asText()));
            }
        } catch (IOException e) {
            // a corrupt frame list shows as no frames; the page says the render has none
        }
        return out;
    }

    private static JsonNode record(String json) {
        try {
            JsonNode n = json == null ? null : JSON.readTree(json);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (IOException e) {
            // fall through: shown as unparsed text
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("unparsed", json == null ? "" : json);
        return o;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
