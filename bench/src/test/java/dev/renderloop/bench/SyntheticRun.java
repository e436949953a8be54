package dev.renderloop.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A run folder built for tests: results.duckdb created with schema.sql, 3 tasks x 2 strategies (vanilla, ritl),
 * summary.json, and small PNG frames. Texts are hostile on purpose (markup in descriptions, answers, errors and
 * ids). vanilla fails on the third task; the first task's reference has 10 frames (more than a strip shows).
 */
final class SyntheticRun {
    static final String[] TASKS = {"circle-1", "square 2", "star#3"};
    static final String[] LEVELS = {"easy", "easy", "hard"};
    static final String[] STRATEGIES = {"vanilla", "ritl"};
    static final String HOSTILE_ANSWER = "Here you go <script>alert('pwned')</script> & done";
    static final String HOSTILE_ERROR = "NameError: <img src=x onerror=alert(1)> is not defined";
    static final String HOSTILE_DESCRIPTION = "Draw a star <b>bold</b> & \"quoted\"";
    static final int FIRST_REFERENCE_FRAMES = 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SyntheticRun() {
    }

    /** Builds the run in {@code dir} with values drawn from {@code seed}; {@code baseline} goes into summary.json. */
    static RunLayout create(Path dir, long seed, String policy, boolean baseline) throws IOException, SQLException {
        RunLayout run = new RunLayout(dir);
        Files.createDirectories(dir);
        Random rnd = new Random(seed);
        String schema;
        try (InputStream s = SyntheticRun.class.getResourceAsStream("/dev/renderloop/bench/schema.sql")) {
            schema = new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.database().toAbsolutePath());
             Statement st = c.createStatement()) {
            for (String sql : schema.split(";")) {
                if (!sql.strip().isEmpty() && !sql.strip().lines().allMatch(l -> l.strip().startsWith("--") || l.isBlank())) {
                    st.execute(sql);
                }
            }
            st.execute("INSERT INTO run_meta VALUES ('seed', '" + seed + "')");
            for (int t = 0; t < TASKS.length; t++) {
                String id = TASKS[t];
                List<String> ref = frames(run, run.referenceFrames(id), t == 0 ? FIRST_REFERENCE_FRAMES : 2, new Color(200, 30, 30));
                try (PreparedStatement p = c.prepareStatement("INSERT INTO tasks VALUES (?, 'svg', ?, ?, ?, 'ok', NULL, ?)")) {
                    p.setString(1, id);
                    p.setString(2, LEVELS[t]);
                    p.setString(3, t == 2 ? HOSTILE_DESCRIPTION : "Draw task " + id);
                    p.setString(4, referenceCode(id));
                    p.setString(5, JSON.writeValueAsString(ref));
                    p.executeUpdate();
                }
                for (String s : STRATEGIES) {
                    boolean ok = !(s.equals("vanilla") && t == 2);
                    List<String> fin = ok ? frames(run, run.finalFrames(id, s), 2, new Color(30, 30, 200)) : List.of();
                    int attempts = s.equals("ritl") ? 2 : 1;
                    for (int a = 0; a < attempts; a++) {
                        boolean last = a == attempts - 1;
                        insertAttempt(c, id, s, a, last ? ok : false, rnd);
                    }
                    insertFinal(c, id, s, LEVELS[t], ok, attempts, fin, rnd);
                }
            }
        }
        Files.writeString(run.summary(), summary(dir.getFileName().toString(), policy, baseline, rnd), StandardCharsets.UTF_8);
        return run;
    }

    static String referenceCode(String id) {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <circle r=\"10\"/>\n  <text>" + id + "</text>\n</svg>\n";
    }

    static String finalCode(String id, String strategy) {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <circle r=\"12\"/>\n  <text>" + id + "</text>\n  <!-- " + strategy + " -->\n</svg>\n";
    }

    private static List<String> frames(RunLayout run, Path folder, int count, Color colour) throws IOException {
        Files.createDirectories(folder);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(colour);
            g.fillRect(0, 0, 48, 32);
            g.setColor(Color.WHITE);
            g.fillRect(i * 4 % 40, 8, 8, 8);
            g.dispose();
            Path f = folder.resolve(String.format("frame_%03d.png", i));
            ImageIO.write(img, "png", f.toFile());
            out.add(run.dir().relativize(f).toString().replace('\\', '/'));
        }
        return out;
    }

    private static void insertAttempt(Connection c, String id, String s, int seq, boolean ok, Random rnd) throws SQLException, IOException {
        ObjectNode r = JSON.createObjectNode();
        r.put("task", id).put("strategy", s).put("round", seq).put("step", seq == 0 ? "generate" : "repair");
        ArrayNode prompt = r.putArray("prompt");
        prompt.addObject().put("role", "user").put("text", "Write SVG for " + id + " </pre><script>x()</script>");
        r.put("answer", HOSTILE_ANSWER + " #" + seq);
        r.put("code", finalCode(id, s)).put("code_source", "fence").put("format_ok", true).put("code_blocks", 1);
        r.put("policy_error", false).putNull("policy_message");
        ObjectNode render = r.putObject("render");
        render.put("status", ok ? "ok" : "error").put("error_kind", ok ? null : "runtime").put("error", ok ? null : HOSTILE_ERROR)
                .put("millis", 40 + rnd.nextInt(50)).put("cached", false);
        render.putArray("frames");
        ObjectNode scores = r.putObject("scores");
        scores.put("vs_corrected", rnd.nextDouble()).put("codebleu", rnd.nextDouble()).put("cbb", "unavailable: no tree-sitter grammar");
        r.putArray("docs");
        r.put("prompt_tokens", 100 + rnd.nextInt(100)).put("completion_tokens", 20 + rnd.nextInt(50)).put("policy_millis", 300 + rnd.nextInt(300));
        r.put("note", seq == 0 ? "first try" : "repair after <error>");
        try (PreparedStatement p = c.prepareStatement("INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, id);
            p.setString(2, s);
            p.setInt(3, seq);
            p.setInt(4, seq);
            p.setString(5, seq == 0 ? "generate" : "repair");
            p.setString(6, ok ? "ok" : "error");
            p.setString(7, ok ? null : "runtime");
            p.setString(8, JSON.writeValueAsString(r));
            p.executeUpdate();
        }
    }

    private static void insertFinal(Connection c, String id, String s, String level, boolean ok, int attempts, List<String> frames,
                                    Random rnd) throws SQLException, IOException {
        StringBuilder cols = new StringBuilder();
        for (String m : ReportInput.FINAL_METRICS) {
            cols.append(", ").append(m);
        }
        String sql = "INSERT INTO finals (task_id, strategy, level, success, repairs, attempts, prompt_tokens, completion_tokens, policy_ms, "
                + "render_ms, wall_ms, final_code, final_frames, error_kind, error, unavailable" + cols + ") VALUES ("
                + "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + ", ?".repeat(ReportInput.FINAL_METRICS.size()) + ")";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setString(1, id);
            p.setString(2, s);
            p.setString(3, level);
            p.setBoolean(4, ok);
            p.setInt(5, attempts - 1);
            p.setInt(6, attempts);
            p.setLong(7, 150);
            p.setLong(8, 40);
            p.setLong(9, 500);
            p.setLong(10, 80);
            p.setLong(11, 700);
            p.setString(12, finalCode(id, s));
            p.setString(13, JSON.writeValueAsString(frames));
            p.setString(14, ok ? null : "runtime");
            p.setString(15, ok ? null : HOSTILE_ERROR);
            p.setString(16, "{\"cbb\": \"no tree-sitter grammar for svg\", \"codebert\": \"model not installed\"}");
            for (int i = 0; i < ReportInput.FINAL_METRICS.size(); i++) {
                String m = ReportInput.FINAL_METRICS.get(i);
                if (m.equals("cbb") || m.equals("codebert")) {
                    p.setNull(17 + i, java.sql.Types.DOUBLE);
                } else {
                    p.setDouble(17 + i, ok ? rnd.nextDouble() : 0.0);
                }
            }
            p.executeUpdate();
        }
    }

    private static String summary(String name, String policy, boolean baseline, Random rnd) throws IOException {
        ObjectNode s = JSON.createObjectNode();
        s.put("run", name).put("suite", "bundled:svg").put("policy", policy).put("baseline", baseline);
        ArrayNode strategies = s.putArray("strategies");
        for (String st : STRATEGIES) {
            strategies.add(st);
        }
        strategies.add("ritl-doc");
        s.putObject("provenance").put("git", "abc123").put("host", "<test-host>");
        ObjectNode metrics = s.putObject("metrics");
        ObjectNode correlations = s.putObject("correlations");
        for (String st : STRATEGIES) {
            ObjectNode m = metrics.putObject(st);
            group(m.putObject("all"), 3, st.equals("vanilla") ? 0.667 : 1.0, rnd);
            ObjectNode levels = m.putObject("levels");
            group(levels.putObject("easy"), 2, 1.0, rnd);
            group(levels.putObject("hard"), 1, st.equals("vanilla") ? 0.0 : 1.0, rnd);
            ArrayNode c = correlations.putArray(st);
            c.addObject().put("code", "ast_distance").put("visual", "tiled").put("n", 3).put("pearson", -0.2).putNull("spearman");
            c.addObject().put("code", "codebleu").put("visual", "vs_corrected_ssim").put("n", 3).put("pearson", 0.41).put("spearman", 0.37);
            c.addObject().put("code", "codebleu").put("visual", "vs_corrected").put("n", 3).put("pearson", 0.52).put("spearman", 0.5);
        }
        s.putObject("unavailable").put("cbb", "no tree-sitter grammar for svg");
        s.putObject("not_applicable").put("ritl-doc", "svg has no API documentation");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s);
    }

    private static void group(ObjectNode g, int n, double rsr, Random rnd) {
        g.put("n", n);
        stat(g, "rsr", rsr, Math.max(0, rsr - 0.3), Math.min(1, rsr + 0.1));
        for (String k : List.of("vs_paper", "vs_corrected", "vs_paper_ssim", "vs_corrected_ssim", "ssim", "tiled", "codebleu", "ast_distance")) {
            double m = rnd.nextDouble();
            stat(g, k, m, m * 0.8, Math.min(1, m * 1.1 + 0.01));
        }
        g.putNull("cbb");
        stat(g, "mean_rounds", 1.5, 1.0, 2.0);
        stat(g, "tokens", 250, 200, 300);
        stat(g, "latency_ms", 900, 700, 1100);
    }

    private static void stat(ObjectNode g, String key, double mean, double lo, double hi) {
        ObjectNode st = g.putObject(key);
        st.put("mean", mean);
        st.putArray("ci95").add(lo).add(hi);
    }
}
