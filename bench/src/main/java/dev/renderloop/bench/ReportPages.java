package dev.renderloop.bench;

import static dev.renderloop.bench.HtmlText.escape;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The HTML of the report's pages, built from a loaded run. Pure functions of their input (plus file existence). */
final class ReportPages {
    /** A summary metric: its key in summary.json's GROUP and the column title. */
    record Column(String key, String title) {
    }

    static final List<Column> RUN_COLUMNS = List.of(new Column("rsr", "RSR"), new Column("rsr_nonblank", "RSR, blank renders failed"),
            new Column("vs_paper", "VS paper"),
            new Column("vs_corrected", "VS corrected"), new Column("vs_paper_ssim", "VS paper (SSIM)"),
            new Column("vs_corrected_ssim", "VS corrected (SSIM)"), new Column("ssim", "SSIM"), new Column("tiled", "Tiled"),
            new Column("codebleu", "CodeBLEU"), new Column("cbb", "CBB"), new Column("ast_distance", "AST distance"),
            new Column("mean_rounds", "mean rounds"), new Column("tokens", "tokens"), new Column("latency_ms", "latency ms"));

    /**
     * The comparison page's columns: the paper's, with the SSIM-based visual metrics that need no model beside the
     * full VS (without a CLIP model, the default, they are the visual numbers there are).
     */
    static final List<Column> COMPARISON_COLUMNS = List.of(new Column("rsr", "RSR"), new Column("vs_paper", "VS paper"),
            new Column("vs_corrected", "VS corrected"), new Column("vs_paper_ssim", "VS paper (SSIM)"),
            new Column("vs_corrected_ssim", "VS corrected (SSIM)"), new Column("ssim", "SSIM"), new Column("tiled", "Tiled"),
            new Column("codebleu", "CodeBLEU"), new Column("cbb", "CBB"), new Column("ast_distance", "AST distance"),
            new Column("mean_rounds", "mean rounds"));

    /** The per-task "key metric", the first of these that any final answer of the run has. */
    private static final List<String> KEY_METRICS = List.of("vs_corrected", "vs_paper", "vs_corrected_ssim", "ssim", "tiled", "codebleu");

    /** Scores shown in the attempt table (all scores are in the attempt's details). */
    private static final List<String> ATTEMPT_SCORES = List.of("vs_corrected", "vs_paper", "ssim", "codebleu", "cbb");

    private static final int STRIP_FRAMES = 8;

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em 2em;color:#1a1a1a;background:#fff}
            h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}h3{font-size:1.05em}
            table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
            th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
            .na{color:#888;cursor:help;text-decoration:underline dotted}.badge{display:inline-block;padding:0 .4em;border-radius:3px;background:#555;color:#fff;font-size:.85em}
            .badge.baseline{background:#8a5a00}.yes{color:#06702a}.no{color:#b00020}
            pre{background:#f7f7f7;border:1px solid #e2e2e2;padding:.5em;overflow:auto;max-height:30em;white-space:pre-wrap;word-break:break-word}
            .desc{white-space:pre-wrap}.charts{display:flex;flex-wrap:wrap;gap:1em}.chart text{font:11px sans-serif}
            .chart text.title{font-weight:bold;font-size:12px}.chart text.label{font-size:11px}
            .pair{display:grid;grid-template-columns:1fr 1fr;gap:1em;margin-bottom:1em}
            figure{margin:0;border:1px solid #ddd;padding:.5em}figcaption{font-weight:bold;margin-bottom:.3em}
            .strip{display:flex;flex-wrap:wrap;gap:4px}.strip img{max-width:180px;max-height:140px;border:1px solid #ccc;background:#fff}
            .diff{font-family:ui-monospace,monospace;font-size:12px}.diff span{display:block;white-space:pre-wrap}
            .diff .add{background:#e6ffec}.diff .del{background:#ffebe9}.diff .same{color:#444}
            .ci{display:block;font-size:.85em;color:#555}.note{color:#444}
            .media{display:block;width:100%;max-width:640px;background:#000;margin-bottom:.4em}
            #glossary dt{font-weight:bold;margin-top:.4em}#glossary dd{margin:0 0 0 1.5em}
            @media print{video.media{display:none}}
            .wide{overflow-x:auto}details summary{cursor:pointer}dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em}dl.kv dt{font-weight:bold}dl.kv dd{margin:0}
            """;

    private ReportPages() {
    }

    // ---------------------------------------------------------------- index page

    static String index(ReportInput in, Map<String, String> taskFiles) {
        String name = in.summaryText("run").isEmpty() ? in.run().dir().getFileName().toString() : in.summaryText("run");
        StringBuilder b = head("Run " + name);
        b.append("<h1>Run ").append(escape(name)).append("</h1>\n");
        b.append(runHeader(in));

        List<Column> columns = shown(List.of(in), RUN_COLUMNS, "all");
        b.append("<h2>Metrics</h2>\n<p class=\"note\">Mean with its 95 % bootstrap confidence interval below; what each metric "
                + "measures: <a href=\"#glossary\">glossary</a>.</p>\n");
        b.append("<div class=\"wide\">").append(metricsTable(in, "all", columns, "metrics")).append("</div>\n");
        b.append(hiddenColumns(List.of(in), RUN_COLUMNS, columns)).append(leftOutNote(in));
        b.append("<h2>By level</h2>\n<div class=\"wide\">").append(levelTable(in)).append("</div>\n");
        b.append("<h2>Charts</h2>\n<div class=\"charts\">").append(barCharts(in)).append("</div>\n");
        b.append("<h3>Code metric against visual metric (one point per task)</h3>\n<div class=\"charts\">")
                .append(scatterPlots(in)).append("</div>\n");
        b.append("<h3>Correlations</h3>\n").append(correlationTable(in));
        b.append(unavailableSection(in));
        b.append("<h2>Tasks</h2>\n").append(taskTable(in, taskFiles));
        b.append(GLOSSARY);
        return b.append("</body></html>\n").toString();
    }

    private static String runHeader(ReportInput in) {
        StringBuilder b = new StringBuilder("<dl class=\"kv\" id=\"run-header\">");
        kv(b, "suite", escape(in.summaryText("suite")));
        String policy = escape(in.summaryText("policy"));
        if (in.summary().path("baseline").asBoolean(false)) {
            policy += " <span class=\"badge baseline\">baseline</span>";
        }
        kv(b, "policy", policy);
        kv(b, "strategies", escape(String.join(", ", in.strategies())));
        kv(b, "tasks", String.valueOf(in.tasks().size()));
        ReportInput.stringMap(in.summary().get("provenance")).forEach((k, v) -> kv(b, escape(k), escape(v)));
        in.meta().forEach((k, v) -> {
            if (!in.summary().path("provenance").has(k)) {
                kv(b, escape(k), escape(v));
            }
        });
        return b.append("</dl>\n").toString();
    }

    private static void kv(StringBuilder b, String keyHtml, String valueHtml) {
        b.append("<dt>").append(keyHtml).append("</dt><dd>").append(valueHtml).append("</dd>");
    }

    /** One row per strategy of the run's GROUP for {@code level} ("all" or a level name). */
    static String metricsTable(ReportInput in, String level, List<Column> columns, String id) {
        StringBuilder b = new StringBuilder("<table id=\"" + id + "\"><thead><tr><th>strategy</th><th>n</th>");
        columns.forEach(c -> b.append("<th>").append(escape(c.title())).append("</th>"));
        b.append("</tr></thead><tbody>\n");
        for (String s : in.strategies()) {
            b.append(metricsRow(in, s, level, columns, "<td>" + escape(s) + "</td>"));
        }
        return b.append("</tbody></table>\n").toString();
    }

    private static String metricsRow(ReportInput in, String strategy, String level, List<Column> columns, String leadingCells) {
        StringBuilder b = new StringBuilder("<tr>").append(leadingCells);
        String notApplicable = ReportInput.stringMap(in.summary().get("not_applicable")).get(strategy);
        JsonNode group = group(in, strategy, level);
        if (notApplicable != null || group == null) {
            String why = notApplicable != null ? "not applicable: " + notApplicable : "no metrics for this strategy in summary.json";
            for (int i = 0; i <= columns.size(); i++) {
                b.append("<td class=\"num\">").append(na(why)).append("</td>");
            }
            return b.append("</tr>\n").toString();
        }
        b.append("<td class=\"num\">").append(group.has("n") ? escape(group.get("n").asText()) : na("n missing from summary.json")).append("</td>");
        Map<String, String> unavailable = new java.util.LinkedHashMap<>(ReportInput.stringMap(in.summary().get("unavailable")));
        JsonNode left = in.summary().path("left_out");
        if (left.path("n").asInt(0) > 0 && left.path("n").asInt() >= left.path("of").asInt(Integer.MAX_VALUE)) {
            for (String v : Summary.VISUAL) {
                unavailable.putIfAbsent(v, "no task's reference rendered here, so there is nothing to compare with");
            }
        }
        for (Column c : columns) {
            b.append("<td class=\"num\">").append(statCell(group, c.key(), unavailable)).append("</td>");
        }
        return b.append("</tr>\n").toString();
    }

    /** summary.metrics[strategy].all, or .levels[level]; null when absent. */
    private static JsonNode group(ReportInput in, String strategy, String level) {
        JsonNode s = in.summary().path("metrics").path(strategy);
        JsonNode g = "all".equals(level) ? s.get("all") : s.path("levels").get(level);
        return g == null || !g.isObject() ? null : g;
    }

    /** "mean [lo, hi]", or n/a with the reason as a tooltip. */
    static String statCell(JsonNode group, String key, Map<String, String> unavailable) {
        JsonNode st = group.get(key);
        if (st == null || st.isNull() || !st.path("mean").isNumber()) {
            String why = unavailable.get(key);
            if (why == null) {
                // Code metrics are computed for Python programs only, SSIM and tiled for stills only; a metric without
                // a recorded reason and with no value in this group is one of those.
                why = st == null ? key + " is missing from summary.json" : key + " has no value for these tasks (not computed for their domain)";
            }
            return na(why);
        }
        String s = escape(HtmlText.number(st.get("mean").asDouble()));
        JsonNode ci = st.get("ci95");
        if (ci != null && ci.isArray() && ci.size() == 2 && ci.get(0).isNumber() && ci.get(1).isNumber()) {
            // the interval on its own line keeps the columns narrow
            s += "<span class=\"ci\"> [" + escape(HtmlText.number(ci.get(0).asDouble())) + ", "
                    + escape(HtmlText.number(ci.get(1).asDouble())) + "]</span>";
        }
        return s;
    }

    /** The columns with a value for some strategy of some run (an all-n/a column is listed under the table instead). */
    static List<Column> shown(List<ReportInput> runs, List<Column> columns, String level) {
        List<Column> out = new ArrayList<>();
        for (Column c : columns) {
            boolean any = false;
            for (ReportInput in : runs) {
                for (String s : in.strategies()) {
                    any |= stat(group(in, s, level), c.key()) != null;
                }
            }
            if (any || c.key().equals("rsr")) {
                out.add(c);
            }
        }
        return out;
    }

    /** The columns left out of a table because no run has a value, each with the reason. */
    private static String hiddenColumns(List<ReportInput> runs, List<Column> all, List<Column> shown) {
        List<Column> hidden = all.stream().filter(c -> !shown.contains(c)).toList();
        if (hidden.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("<p class=\"note\" id=\"hidden-columns\">Not shown, no value in ")
                .append(runs.size() == 1 ? "this run" : "any run").append(": ");
        List<String> parts = new ArrayList<>();
        for (Column c : hidden) {
            String why = null;
            for (ReportInput in : runs) {
                why = why != null ? why : ReportInput.stringMap(in.summary().get("unavailable")).get(c.key());
            }
            parts.add("<b>" + escape(c.title()) + "</b> (" + escape(why != null ? why : "not computed for these tasks' domain") + ")");
        }
        return b.append(String.join("; ", parts)).append(".</p>\n").toString();
    }

    /** How many tasks the visual metrics leave out because their reference did not render, and why. */
    static String leftOutNote(ReportInput in) {
        JsonNode left = in.summary().path("left_out");
        int n = left.path("n").asInt(0);
        if (n == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("<p class=\"note\" id=\"left-out\">The visual metrics (VS, its SSIM parts, SSIM, "
                + "tiled) cover ").append(left.path("of").asInt() - n).append(" of ").append(left.path("of").asInt())
                .append(" tasks: ").append(n).append(n == 1 ? " reference does" : " references do")
                .append(" not render here, so there is nothing to compare with. RSR and the code metrics cover every task.</p><ul class=\"note\">");
        ReportInput.stringMap(left.get("tasks")).forEach((task, why) -> b.append("<li>").append(escape(task)).append(": ")
                .append(escape(why.lines().filter(l -> !l.isBlank()).reduce((a, z) -> z).orElse(why))).append("</li>"));
        return b.append("</ul>\n").toString();
    }

    static String na(String reason) {
        return "<span class=\"na\" title=\"" + escape(reason) + "\">n/a</span>";
    }

    private static String levelTable(ReportInput in) {
        Set<String> levels = new LinkedHashSet<>();
        for (String s : in.strategies()) {
            in.summary().path("metrics").path(s).path("levels").fieldNames().forEachRemaining(levels::add);
        }
        if (levels.isEmpty()) {
            return "<p>No per-level metrics in summary.json (the suite has no levels).</p>\n";
        }
        List<Column> columns = shown(List.of(in), COMPARISON_COLUMNS, "all");
        StringBuilder b = new StringBuilder("<table id=\"levels\"><thead><tr><th>level</th><th>strategy</th><th>n</th>");
        columns.forEach(c -> b.append("<th>").append(escape(c.title())).append("</th>"));
        b.append("</tr></thead><tbody>\n");
        for (String level : levels) {
            for (String s : in.strategies()) {
                b.append(metricsRow(in, s, level, columns, "<td>" + escape(level) + "</td><td>" + escape(s) + "</td>"));
            }
        }
        return b.append("</tbody></table>\n").toString();
    }

    private static String barCharts(ReportInput in) {
        List<String> strategies = in.strategies();
        SvgChart.Stat[][] rsr = new SvgChart.Stat[strategies.size()][1];
        SvgChart.Stat[][] vs = new SvgChart.Stat[strategies.size()][2];
        // Without a CLIP model the full VS is unavailable; the SSIM parts are then what can be shown, labelled as such.
        boolean full = strategies.stream().anyMatch(s -> stat(group(in, s, "all"), "vs_paper") != null);
        String paper = full ? "vs_paper" : "vs_paper_ssim";
        String corrected = full ? "vs_corrected" : "vs_corrected_ssim";
        for (int i = 0; i < strategies.size(); i++) {
            JsonNode g = group(in, strategies.get(i), "all");
            boolean applicable = !ReportInput.stringMap(in.summary().get("not_applicable")).containsKey(strategies.get(i));
            rsr[i][0] = applicable ? stat(g, "rsr") : null;
            vs[i][0] = applicable ? stat(g, paper) : null;
            vs[i][1] = applicable ? stat(g, corrected) : null;
        }
        return SvgChart.bars("RSR per strategy", strategies, List.of("RSR"), rsr)
                + (full ? SvgChart.bars("VS per strategy", strategies, List.of("VS paper", "VS corrected"), vs)
                : SvgChart.bars("VS SSIM parts per strategy (no CLIP model: full VS unavailable)", strategies,
                        List.of("paper SSIM part", "corrected SSIM part"), vs));
    }

    private static SvgChart.Stat stat(JsonNode group, String key) {
        JsonNode st = group == null ? null : group.get(key);
        if (st == null || !st.path("mean").isNumber()) {
            return null;
        }
        JsonNode ci = st.path("ci95");
        boolean hasCi = ci.isArray() && ci.size() == 2 && ci.get(0).isNumber() && ci.get(1).isNumber();
        return new SvgChart.Stat(st.get("mean").asDouble(), hasCi ? ci.get(0).asDouble() : Double.NaN,
                hasCi ? ci.get(1).asDouble() : Double.NaN);
    }

    private static String scatterPlots(ReportInput in) {
        StringBuilder b = new StringBuilder();
        for (String s : in.strategies()) {
            if (ReportInput.stringMap(in.summary().get("not_applicable")).containsKey(s)) {
                continue;
            }
            List<JsonNode> list = new ArrayList<>();
            in.summary().path("correlations").path(s).forEach(list::add);
            // the most telling pairs first: the published code metrics against VS; all pairs are in the table below
            list.sort(java.util.Comparator.comparingInt((JsonNode c) -> rank(CODE_ORDER, c.path("code").asText()))
                    .thenComparingInt(c -> rank(VISUAL_ORDER, c.path("visual").asText())));
            List<String[]> pairs = new ArrayList<>();  // code, visual, caption
            JsonNode all = group(in, s, "all");
            for (JsonNode c : list) {
                // A metric without a value for the strategy (say, VS without a CLIP model, which only failed renders
                // "have", as 0) would plot as a column of zeros: such pairs are not drawn.
                if (stat(all, c.path("code").asText()) == null || stat(all, c.path("visual").asText()) == null) {
                    continue;
                }
                String caption = "n=" + c.path("n").asText("?") + ", Pearson " + coefficient(c.get("pearson"))
                        + ", Spearman " + coefficient(c.get("spearman"));
                pairs.add(new String[] {c.path("code").asText(""), c.path("visual").asText(""), caption});
            }
            if (pairs.isEmpty()) {
                b.append("<p class=\"note\">").append(escape(s)).append(": no code metric and visual metric that both have values "
                        + "(code metrics are computed for Python programs; VS needs a CLIP model).</p>");
                continue;
            }
            for (String[] p : pairs.subList(0, Math.min(SCATTERS_PER_STRATEGY, pairs.size()))) {
                List<SvgChart.Point> points = new ArrayList<>();
                for (ReportInput.Final f : in.finals().values()) {
                    if (f.strategy().equals(s)) {
                        Double x = f.metrics().get(p[0]);
                        Double y = f.metrics().get(p[1]);
                        if (x != null && y != null) {
                            points.add(new SvgChart.Point(x, y, f.taskId()));
                        }
                    }
                }
                String caption = ReportInput.FINAL_METRICS.contains(p[0]) && ReportInput.FINAL_METRICS.contains(p[1]) ? p[2]
                        : p[2] + " (not a column of finals)";
                b.append(SvgChart.scatter(s + ": " + p[0] + " vs " + p[1], caption, p[0], p[1], points));
            }
        }
        return b.toString();
    }

    private static final List<String> CODE_ORDER = List.of("codebleu", "cbb", "ast_distance");
    private static final List<String> VISUAL_ORDER = List.of("vs_corrected", "vs_paper", "vs_corrected_ssim", "vs_paper_ssim", "ssim", "tiled");
    private static final int SCATTERS_PER_STRATEGY = 2;

    private static int rank(List<String> order, String name) {
        int i = order.indexOf(name);
        return i < 0 ? order.size() : i;
    }

    /** Every correlation of summary.json, one row per strategy and (code, visual) pair. */
    private static String correlationTable(ReportInput in) {
        StringBuilder b = new StringBuilder("<table id=\"correlations\"><thead><tr><th>strategy</th><th>code metric</th>"
                + "<th>visual metric</th><th>n</th><th>Pearson</th><th>Spearman</th></tr></thead><tbody>\n");
        int rows = 0;
        for (String s : in.strategies()) {
            for (JsonNode c : in.summary().path("correlations").path(s)) {
                b.append("<tr><td>").append(escape(s)).append("</td><td>").append(escape(c.path("code").asText(""))).append("</td><td>")
                        .append(escape(c.path("visual").asText(""))).append("</td><td class=\"num\">").append(escape(c.path("n").asText("")))
                        .append("</td><td class=\"num\">").append(coefficient(c.get("pearson"))).append("</td><td class=\"num\">")
                        .append(coefficient(c.get("spearman"))).append("</td></tr>\n");
                rows++;
            }
        }
        return rows == 0 ? "<p>No correlations in summary.json.</p>\n" : b.append("</tbody></table>\n").toString();
    }

    private static String coefficient(JsonNode n) {
        return n != null && n.isNumber() ? String.format(java.util.Locale.ROOT, "%.3f", n.asDouble()) : "n/a";
    }

    private static String unavailableSection(ReportInput in) {
        Map<String, String> unavailable = ReportInput.stringMap(in.summary().get("unavailable"));
        Map<String, String> notApplicable = ReportInput.stringMap(in.summary().get("not_applicable"));
        if (unavailable.isEmpty() && notApplicable.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("<h2>Unavailable</h2>\n<ul id=\"unavailable\">");
        unavailable.forEach((k, v) -> b.append("<li>metric <b>").append(escape(k)).append("</b>: ").append(escape(v)).append("</li>"));
        notApplicable.forEach((k, v) -> b.append("<li>strategy <b>").append(escape(k)).append("</b> not applicable: ").append(escape(v)).append("</li>"));
        return b.append("</ul>\n").toString();
    }

    private static String taskTable(ReportInput in, Map<String, String> taskFiles) {
        String key = keyMetric(in);
        StringBuilder b = new StringBuilder("<table id=\"tasks\"><thead><tr><th>task</th><th>level</th>");
        for (String s : in.strategies()) {
            b.append("<th>").append(escape(s)).append(" rendered</th><th>").append(escape(s)).append(' ')
                    .append(key == null ? "" : escape(key)).append("</th>");
        }
        b.append("</tr></thead><tbody>\n");
        for (ReportInput.Task t : in.tasks()) {
            b.append("<tr><td><a href=\"tasks/").append(escape(HtmlText.urlPath(taskFiles.get(t.id())))).append("\">")
                    .append(escape(t.id())).append("</a></td><td>").append(escape(t.level())).append("</td>");
            for (String s : in.strategies()) {
                ReportInput.Final f = in.finalOf(t.id(), s);
                if (f == null) {
                    String why = notApplicable(in, s);
                    b.append("<td>").append(na(why != null ? "not applicable: " + why : "no final answer (not run yet)")).append("</td><td></td>");
                    continue;
                }
                b.append(f.success() ? "<td class=\"yes\">yes</td>" : "<td class=\"no\" title=\"" + escape(nz(f.errorKind())) + "\">no</td>");
                Double v = key == null ? null : f.metrics().get(key);
                b.append("<td class=\"num\">").append(v != null ? HtmlText.number(v)
                        : na(f.unavailable().getOrDefault(key, "no value"))).append("</td>");
            }
            b.append("</tr>\n");
        }
        return b.append("</tbody></table>\n").toString();
    }

    private static String keyMetric(ReportInput in) {
        for (String k : KEY_METRICS) {
            for (ReportInput.Final f : in.finals().values()) {
                if (f.metrics().get(k) != null) {
                    return k;
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- task page

    static String task(ReportInput in, ReportInput.Task t) {
        StringBuilder b = head("Task " + t.id());
        b.append("<p><a href=\"../index.html\">&larr; run report</a></p>\n");
        b.append("<h1>Task ").append(escape(t.id())).append("</h1>\n<dl class=\"kv\">");
        kv(b, "domain", escape(t.domain()));
        kv(b, "level", escape(t.level()));
        b.append("</dl>\n<h2>Description</h2>\n<p class=\"desc\" id=\"description\">").append(escape(t.description())).append("</p>\n");

        b.append("<h2>Renders</h2>\n");
        String reference = "ok".equals(t.referenceStatus())
                ? video(in, t.referenceFrames(), "reference") + strip(in, t.referenceFrames(), "reference")
                : "<p class=\"no\">reference did not render</p><pre class=\"error\">" + escape(t.referenceError()) + "</pre>";
        for (String s : in.strategies()) {
            ReportInput.Final f = in.finalOf(t.id(), s);
            if (f == null && notApplicable(in, s) != null) {
                b.append("<p>").append(escape(s)).append(": not applicable (").append(escape(notApplicable(in, s))).append(")</p>\n");
                continue;
            }
            b.append("<div class=\"pair\"><figure class=\"render reference\"><figcaption>reference</figcaption>").append(reference)
                    .append("</figure><figure class=\"render candidate\" data-strategy=\"").append(escape(s)).append("\"><figcaption>")
                    .append(escape(s)).append(" final</figcaption>");
            if (f == null) {
                b.append("<p>").append(na("no final answer")).append("</p>");
            } else if (f.success()) {
                b.append(video(in, f.finalFrames(), s)).append(strip(in, f.finalFrames(), s));
            } else {
                b.append("<p class=\"no\">did not render: ").append(escape(nz(f.errorKind()))).append("</p><pre class=\"error\">")
                        .append(escape(f.error())).append("</pre>");
            }
            b.append("</figure></div>\n");
        }

        for (String s : in.strategies()) {
            ReportInput.Final f = in.finalOf(t.id(), s);
            b.append("<h2 id=\"strategy-").append(escape(RunLayout.safe(s))).append("\">").append(escape(s)).append("</h2>\n");
            if (f == null) {
                String why = notApplicable(in, s);
                b.append("<p>").append(why != null ? "Not applicable: " + escape(why) : "No final answer for this strategy (not run yet).").append("</p>\n");
            } else {
                b.append(finalSummary(f));
                LineDiff.Result d = LineDiff.diff(t.referenceCode(), f.finalCode());
                b.append("<h3>Code: reference &rarr; final (").append(d.count(LineDiff.Kind.REMOVED)).append(" removed, ")
                        .append(d.count(LineDiff.Kind.ADDED)).append(" added)</h3>\n").append(diffHtml(d));
            }
            b.append("<h3>Attempts</h3>\n").append(attemptTable(in.attemptsOf(t.id(), s)));
        }
        return b.append("</body></html>\n").toString();
    }

    private static String finalSummary(ReportInput.Final f) {
        StringBuilder b = new StringBuilder("<dl class=\"kv\">");
        kv(b, "rendered", f.success() ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span> " + escape(nz(f.errorKind())));
        kv(b, "attempts / repairs", f.attempts() + " / " + f.repairs());
        kv(b, "tokens (prompt / completion)", f.promptTokens() + " / " + f.completionTokens());
        kv(b, "time (policy / render / wall)", f.policyMs() + " / " + f.renderMs() + " / " + f.wallMs() + " ms");
        StringBuilder m = new StringBuilder();
        f.metrics().forEach((k, v) -> {
            if (v != null) {
                m.append(escape(k)).append(' ').append(HtmlText.number(v)).append("; ");
            } else if (f.unavailable().containsKey(k)) {
                m.append(escape(k)).append(' ').append(na(f.unavailable().get(k))).append("; ");
            }
        });
        kv(b, "metrics", m.toString());
        return b.append("</dl>\n").toString();
    }

    static String diffHtml(LineDiff.Result d) {
        StringBuilder b = new StringBuilder("<pre class=\"diff\">");
        for (LineDiff.Line l : d.lines()) {
            switch (l.kind()) {
                case SAME -> b.append("<span class=\"same\">  ");
                case REMOVED -> b.append("<span class=\"del\">- ");
                case ADDED -> b.append("<span class=\"add\">+ ");
            }
            b.append(escape(l.text())).append("</span>");
        }
        b.append("</pre>\n");
        if (!d.minimal()) {
            b.append("<p>(too long for a minimal diff: the differing middle is shown as removed, then added)</p>\n");
        }
        return b.toString();
    }

    private static String attemptTable(List<ReportInput.Attempt> attempts) {
        if (attempts.isEmpty()) {
            return "<p>No attempts recorded.</p>\n";
        }
        StringBuilder b = new StringBuilder("<table class=\"attempts\"><thead><tr><th>seq</th><th>round</th><th>step</th>"
                + "<th>render</th><th>scores</th><th>tokens</th><th>latency</th><th>note</th><th>answer</th></tr></thead><tbody>\n");
        for (ReportInput.Attempt a : attempts) {
            JsonNode r = a.record();
            b.append("<tr><td class=\"num\">").append(a.seq()).append("</td><td class=\"num\">").append(a.round()).append("</td><td>")
                    .append(escape(a.step())).append("</td><td>");
            if (a.renderStatus() == null) {
                b.append("not rendered");
                if (r.path("policy_error").asBoolean(false) || r.hasNonNull("policy_message")) {
                    b.append(": ").append(escape(r.path("policy_message").asText("policy error")));
                } else if (r.has("format_ok") && !r.path("format_ok").asBoolean(true)) {
                    b.append(": no code in the answer");
                }
            } else {
                b.append(escape(a.renderStatus()));
                if (a.errorKind() != null) {
                    b.append(" (").append(escape(a.errorKind())).append(')');
                }
            }
            b.append("</td><td>");
            JsonNode scores = r.path("scores");
            for (String k : ATTEMPT_SCORES) {
                JsonNode v = scores.get(k);
                if (v != null && v.isNumber()) {
                    b.append(escape(k)).append(' ').append(HtmlText.number(v.asDouble())).append("<br>");
                } else if (v != null && !v.isNull()) {
                    b.append(escape(k)).append(' ').append(na(v.asText())).append("<br>");
                }
            }
            b.append("</td><td class=\"num\">").append(escape(r.path("prompt_tokens").asText("?"))).append(" / ")
                    .append(escape(r.path("completion_tokens").asText("?"))).append("</td><td class=\"num\">policy ")
                    .append(escape(r.path("policy_millis").asText("?"))).append(" ms");
            JsonNode render = r.path("render");
            if (render.isObject()) {
                b.append("<br>render ").append(escape(render.path("millis").asText("?"))).append(" ms");
                if (render.path("cached").asBoolean(false)) {
                    b.append(" (cached)");
                }
            }
            b.append("</td><td>").append(escape(r.path("note").asText(""))).append("</td><td>").append(attemptDetails(r)).append("</td></tr>\n");
        }
        return b.append("</tbody></table>\n").toString();
    }

    private static String attemptDetails(JsonNode r) {
        StringBuilder b = new StringBuilder("<details><summary>answer</summary>");
        if (r.has("unparsed")) {
            b.append("<p>stored record is not JSON:</p><pre>").append(escape(r.get("unparsed").asText())).append("</pre>");
            return b.append("</details>").toString();
        }
        b.append("<pre class=\"answer\">").append(escape(r.path("answer").asText(""))).append("</pre>");
        JsonNode render = r.path("render");
        if (render.isObject() && render.hasNonNull("error") && !render.path("error").asText().isEmpty()) {
            b.append("<p>render error (").append(escape(render.path("error_kind").asText(""))).append("):</p><pre class=\"error\">")
                    .append(escape(render.path("error").asText())).append("</pre>");
        }
        JsonNode docs = r.path("docs");
        if (docs.isArray() && !docs.isEmpty()) {
            b.append("<p>documentation looked up:</p><ul>");
            for (JsonNode d : docs) {
                b.append("<li>").append(escape(d.path("name").asText(""))).append(d.path("resolved").asBoolean(false) ? " (resolved)" : " (not resolved)");
                if (d.path("suggestions").isArray() && !d.path("suggestions").isEmpty()) {
                    List<String> sug = new ArrayList<>();
                    d.path("suggestions").forEach(x -> sug.add(x.asText()));
                    b.append(": ").append(escape(String.join(", ", sug)));
                }
                b.append("</li>");
            }
            b.append("</ul>");
        }
        if (r.path("scores").isObject() && !r.path("scores").isEmpty()) {
            b.append("<p>scores:</p><ul>");
            ReportInput.stringMap(r.path("scores")).forEach((k, v) -> b.append("<li>").append(escape(k)).append(": ").append(escape(v)).append("</li>"));
            b.append("</ul>");
        }
        JsonNode prompt = r.path("prompt");
        if (prompt.isArray() && !prompt.isEmpty()) {
            b.append("<details><summary>prompt (").append(prompt.size()).append(" messages)</summary>");
            for (JsonNode m : prompt) {
                b.append("<p><b>").append(escape(m.path("role").asText(""))).append("</b>")
                        .append(m.path("images").isArray() && !m.path("images").isEmpty() ? " (+" + m.path("images").size() + " images)" : "")
                        .append("</p><pre>").append(escape(m.path("text").asText(""))).append("</pre>");
            }
            b.append("</details>");
        }
        return b.append("</details>").toString();
    }

    /**
     * The render's video (Manim), stored beside its frames as {@code video.mp4} or {@code video.webm}, as a video
     * element with controls, loaded from the run folder by a relative path; empty for stills. The frame strip stays
     * below it (and is what prints: print CSS hides the video).
     */
    private static String video(ReportInput in, List<String> frames, String label) {
        if (frames.isEmpty()) {
            return "";
        }
        Path root = in.run().dir().toAbsolutePath().normalize();
        Path first = root.resolve(frames.get(0).replace('\\', '/')).normalize();
        if (!first.startsWith(root) || first.getParent() == null) {
            return "";
        }
        for (String ext : Bench.VIDEO_EXTENSIONS) {
            Path v = first.getParent().resolve("video." + ext);
            if (Files.isRegularFile(v)) {
                String url = "../../" + HtmlText.urlPath(root.relativize(v).toString().replace('\\', '/'));
                return "<video class=\"media\" controls muted loop playsinline preload=\"auto\" src=\"" + escape(url)
                        + "\" aria-label=\"" + escape(label + " video") + "\"></video>";
            }
        }
        return "";
    }

    /** Up to 8 frames, evenly spread over the render (first and last included), as img elements. */
    private static String strip(ReportInput in, List<String> frames, String alt) {
        if (frames.isEmpty()) {
            return "<p>no frames</p>";
        }
        StringBuilder b = new StringBuilder("<div class=\"strip\">");
        int k = Math.min(STRIP_FRAMES, frames.size());
        Path root = in.run().dir().toAbsolutePath().normalize();
        for (int i = 0; i < k; i++) {
            int idx = k == 1 ? 0 : (int) Math.round((double) i * (frames.size() - 1) / (k - 1));
            String rel = frames.get(idx).replace('\\', '/');
            Path p = root.resolve(rel).normalize();
            if (Path.of(rel).isAbsolute() || !p.startsWith(root)) {
                b.append("<p class=\"no\">frame path outside the run folder: ").append(escape(rel)).append("</p>");
                continue;
            }
            if (!Files.isRegularFile(p)) {
                b.append("<p class=\"no\">missing frame: ").append(escape(rel)).append("</p>");
                continue;
            }
            String url = "../../" + HtmlText.urlPath(root.relativize(p).toString().replace('\\', '/'));
            b.append("<img src=\"").append(escape(url)).append("\" alt=\"").append(escape(alt + " frame " + (idx + 1)))
                    .append("\" title=\"").append(escape("frame " + (idx + 1) + " of " + frames.size())).append("\">");
        }
        return b.append("</div>").toString();
    }

    // ---------------------------------------------------------------- comparison page

    static String comparison(List<ReportInput> runs, Path outDir) {
        StringBuilder b = head("Comparison of runs");
        b.append("<h1>Comparison of ").append(runs.size()).append(" runs</h1>\n");
        b.append("<p>Each cell: mean with its 95 % confidence interval below; n/a cells give their reason as a tooltip. "
                + "What each metric measures: <a href=\"#glossary\">glossary</a>.</p>\n");
        List<Column> columns = shown(runs, COMPARISON_COLUMNS, "all");
        b.append("<table id=\"comparison\"><thead><tr><th>run</th><th>suite</th><th>policy</th><th>strategy</th><th>n</th>");
        columns.forEach(c -> b.append("<th>").append(escape(c.title())).append("</th>"));
        b.append("</tr></thead><tbody>\n");
        Path out = outDir.toAbsolutePath().normalize();
        for (ReportInput in : runs) {
            String name = in.summaryText("run").isEmpty() ? in.run().dir().getFileName().toString() : in.summaryText("run");
            Path index = in.run().reportDir().resolve("index.html").toAbsolutePath().normalize();
            String runCell = Files.isRegularFile(index)
                    ? "<a href=\"" + escape(HtmlText.urlPath(out.relativize(index).toString().replace('\\', '/'))) + "\">" + escape(name) + "</a>"
                    : escape(name);
            String policy = escape(in.summaryText("policy"))
                    + (in.summary().path("baseline").asBoolean(false) ? " <span class=\"badge baseline\">baseline</span>" : "");
            for (String s : in.strategies()) {
                b.append(metricsRow(in, s, "all", columns, "<td>" + runCell + "</td><td>" + escape(in.summaryText("suite"))
                        + "</td><td>" + policy + "</td><td>" + escape(s) + "</td>"));
            }
        }
        b.append("</tbody></table>\n").append(hiddenColumns(runs, COMPARISON_COLUMNS, columns));
        for (ReportInput in : runs) {
            String note = leftOutNote(in);
            if (!note.isEmpty()) {
                String name = in.summaryText("run").isEmpty() ? in.run().dir().getFileName().toString() : in.summaryText("run");
                b.append("<p><b>").append(escape(name)).append("</b></p>").append(note);
            }
        }
        return b.append(GLOSSARY).append("</body></html>\n").toString();
    }

    /** What each metric measures, its range, and how the paper's VS differs from the corrected one. */
    static final String GLOSSARY = """
            <h2 id="glossary">Glossary</h2>
            <dl id="glossary-terms">
            <dt>RSR (render success rate), 0 to 1</dt><dd>Fraction of tasks whose final code rendered (Manim: the scene             produced a video or image). Counted over every task. "RSR, blank renders failed" also counts a render that             drew nothing (one flat colour) as a failure.</dd>
            <dt>VS paper, 0 to 1</dt><dd>Visual similarity to the reference render as published: sqrt(SSIM part x CLIP             part). SSIM part: grayscale SSIM of every (reference frame, candidate frame) pair gives a matrix; the row             maxima and the column maxima are aligned by DTW and the distance d turned into exp(-5 d). CLIP part: DTW over             1 - cosine of CLIP image embeddings, exp(-c). Needs a CLIP model (<code>--clip-model</code>); n/a without             one. A failed render scores 0, and that 0 is averaged in.</dd>
            <dt>VS corrected, 0 to 1</dt><dd>The same with a corrected SSIM part. The paper's SSIM part compares the             profiles of best-match SSIM values, not how high they are: any two stills score exactly 1, and two clearly             different videos whose frames all match equally badly score near 1. The corrected part aligns the frames by             DTW over 1 - SSIM(i, j) itself, so it is high only when the aligned frames look alike.</dd>
            <dt>VS paper (SSIM), VS corrected (SSIM), 0 to 1</dt><dd>The SSIM parts of the two VS alone: they need no             model, so they are the visual numbers of a run without CLIP (the default).</dd>
            <dt>SSIM, -1 to 1 (in practice 0 to 1)</dt><dd>Structural similarity (scikit-image's definition) of the             grayscale final frame against the reference's; stills only. 1 means identical.</dd>
            <dt>Tiled, 0 to 1</dt><dd>VinciCoder's coarse-to-fine reward: both images cut into the same grid of             448x448 tiles, each tile compared with its counterpart (plus whole-image thumbnails), averaged. With a DINOv2             model: (cosine + 1) / 2 of tile embeddings, as published; without one a labelled weight-free fallback,             (SSIM + 1) / 2 of grayscale tiles. Stills only.</dd>
            <dt>CodeBLEU, 0 to 1</dt><dd>Similarity of the final code to the reference code: n-gram, weighted n-gram,             syntax-tree and data-flow matches, 0.25 each. Python domains only.</dd>
            <dt>CBB, 0 to 1</dt><dd>CodeBERT-BLEU: sqrt(CodeBERT cosine x CodeBLEU). Needs a CodeBERT model; n/a without             one.</dd>
            <dt>AST distance, 0 to 1 (lower is closer)</dt><dd>Tree edit distance between the Python syntax trees of the             final and reference code, divided by the node count of the larger tree.</dd>
            <dt>mean rounds</dt><dd>Repair rounds used per task (0 when the first answer rendered).</dd>
            <dt>[lo, hi]</dt><dd>95 % bootstrap confidence interval of the mean over tasks (fixed seed).</dd>
            </dl>
            """;

    // ---------------------------------------------------------------- shared

    private static StringBuilder head(String title) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                // no network: nothing on these pages may load from anywhere but the run folder
                + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; media-src 'self' file:; style-src 'unsafe-inline'\">"
                + "<title>").append(escape(title)).append("</title><style>").append(CSS).append("</style></head><body>\n");
    }

    /** The reason summary.json gives for a strategy not being applicable to the suite, or null. */
    private static String notApplicable(ReportInput in, String strategy) {
        return ReportInput.stringMap(in.summary().get("not_applicable")).get(strategy);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
