package dev.renderloop.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A training run's curves as one static HTML page: {@code RUN/metrics.jsonl} (one JSON object per step, as
 * {@code GrpoTrainer} and {@code SftTrainer} write it) read into series and drawn as inline SVG line charts (no
 * script, no network), with a table of each series' first, last, lowest and highest value.
 *
 * <p>Reading is forgiving line by line and strict about the whole: a blank line is ignored; a line that is not a
 * JSON object with a numeric {@code step} (a line cut short by a killed run, a corrupt one) is skipped with a
 * warning that names its line number; a file with no readable step at all is an error.
 */
final class TrainReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Series colours (colour-blind-safe Okabe-Ito), as the bench report's charts. */
    private static final String[] COLOURS = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"};

    /** One chart: its title, the y axis' meaning and the metric keys drawn (absent ones are left out). */
    record ChartSpec(String title, String unit, List<String> keys) {
    }

    /**
     * The charts of known metrics, in page order. A nested object's fields are keyed {@code parent.field}
     * ({@code components.ssim}); {@code components.*} stands for all of them.
     */
    static final List<ChartSpec> KNOWN = List.of(
            new ChartSpec("Reward (mean, band: ± std)", "reward", List.of("reward_mean")),
            new ChartSpec("Reward components (means)", "value", List.of("components.*")),
            new ChartSpec("Render success rate", "fraction", List.of("render_success")),
            new ChartSpec("Loss", "loss", List.of("loss", "val_loss")),
            new ChartSpec("KL to the reference (k3)", "KL", List.of("kl")),
            new ChartSpec("Clip fraction", "fraction of tokens", List.of("clip_region", "clip_low", "clip_high")),
            new ChartSpec("Entropy (estimate, nats/token)", "nats", List.of("entropy_estimate", "entropy")),
            new ChartSpec("Completion length", "tokens", List.of("completion_length")),
            new ChartSpec("Step time split", "seconds", List.of("time_sampling_s", "time_rendering_s", "time_scoring_s",
                    "time_reward_wall_s", "time_backward_s", "time_optimizer_s", "time_step_s")),
            new ChartSpec("Gradient norm (before clipping)", "norm", List.of("grad_norm")),
            new ChartSpec("Learning rate", "lr", List.of("lr")),
            new ChartSpec("Tokens per step", "tokens", List.of("tokens")));

    /** A metric's values by step; {@code null} where that step has no finite value. */
    record Series(String key, List<Double> values) {
    }

    /**
     * What metrics.jsonl held.
     *
     * @param steps the step numbers, in file order
     * @param series every numeric metric, by key in first-seen order, aligned with {@code steps}
     * @param warnings one per skipped line
     */
    record Metrics(List<Integer> steps, Map<String, Series> series, List<String> warnings) {
    }

    private TrainReport() {
    }

    /**
     * Reads a metrics file.
     *
     * @throws IOException when it cannot be read
     * @throws IllegalArgumentException when it holds no readable step (the message says why)
     */
    static Metrics read(Path metrics) throws IOException {
        List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        List<Integer> steps = new ArrayList<>();
        List<Map<String, Double>> rows = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                warnings.add("line " + (i + 1) + " skipped: not JSON (" + firstLine(e.getMessage()) + ")");
                continue;
            }
            if (node == null || !node.isObject()) {
                warnings.add("line " + (i + 1) + " skipped: not a JSON object");
                continue;
            }
            JsonNode step = node.get("step");
            if (step == null || !step.isIntegralNumber()) {
                warnings.add("line " + (i + 1) + " skipped: no integer \"step\"");
                continue;
            }
            Map<String, Double> row = new LinkedHashMap<>();
            flatten("", node, row);
            row.remove("step");
            keys.addAll(row.keySet());
            steps.add(step.asInt());
            rows.add(row);
        }
        if (steps.isEmpty()) {
            throw new IllegalArgumentException(metrics + " holds no readable step"
                    + (warnings.isEmpty() ? " (it is empty)" : " (" + warnings.size() + " line(s) skipped: " + warnings.get(0) + ")"));
        }
        Map<String, Series> series = new LinkedHashMap<>();
        for (String k : keys) {
            List<Double> values = new ArrayList<>(rows.size());
            for (Map<String, Double> r : rows) {
                values.add(r.get(k));
            }
            series.put(k, new Series(k, values));
        }
        return new Metrics(steps, series, warnings);
    }

    /** Numeric leaves of {@code node} into {@code out}, nested keys joined with dots; non-finite values left out. */
    private static void flatten(String prefix, JsonNode node, Map<String, Double> out) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = prefix + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                flatten(key + ".", v, out);
            } else if (v.isNumber() && Double.isFinite(v.asDouble())) {
                out.put(key, v.asDouble());
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The whole page for run {@code name}. */
    static String html(String name, Metrics m) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Training run ")
                .append(escape(name)).append("</title><style>").append(CSS).append("</style></head><body>\n");
        b.append("<h1>Training run ").append(escape(name)).append("</h1>\n");
        int first = m.steps().get(0);
        int last = m.steps().get(m.steps().size() - 1);
        b.append("<p class=\"note\">").append(m.steps().size()).append(" step(s) read from metrics.jsonl, steps ")
                .append(first).append(" to ").append(last).append(".</p>\n");
        if (!m.warnings().isEmpty()) {
            b.append("<div class=\"warn\"><b>").append(m.warnings().size()).append(" line(s) skipped:</b><ul>");
            for (String w : m.warnings()) {
                b.append("<li>").append(escape(w)).append("</li>");
            }
            b.append("</ul></div>\n");
        }
        Set<String> drawn = new LinkedHashSet<>();
        b.append("<h2>Curves</h2>\n<div class=\"charts\">\n");
        for (ChartSpec spec : KNOWN) {
            List<Series> chosen = new ArrayList<>();
            for (String k : spec.keys()) {
                if (k.endsWith(".*")) {
                    String prefix = k.substring(0, k.length() - 1);
                    m.series().forEach((key, s) -> {
                        if (key.startsWith(prefix) && hasValue(s)) {
                            chosen.add(s);
                        }
                    });
                } else if (m.series().containsKey(k) && hasValue(m.series().get(k))) {
                    chosen.add(m.series().get(k));
                }
            }
            if (chosen.isEmpty()) {
                continue;
            }
            chosen.forEach(s -> drawn.add(s.key()));
            Series band = spec.keys().equals(List.of("reward_mean")) ? m.series().get("reward_std") : null;
            if (band != null) {
                drawn.add(band.key());
            }
            b.append(lineChart(spec.title(), spec.unit(), m.steps(), chosen, band)).append('\n');
        }
        for (Series s : m.series().values()) {
            if (!drawn.contains(s.key()) && hasValue(s)) {
                b.append(lineChart(s.key(), "value", m.steps(), List.of(s), null)).append('\n');
            }
        }
        b.append("</div>\n<h2>Summary</h2>\n<table><tr><th>metric</th><th>first</th><th>last</th><th>min</th><th>max</th><th>steps with a value</th></tr>\n");
        for (Series s : m.series().values()) {
            List<Double> v = s.values().stream().filter(x -> x != null).toList();
            b.append("<tr><td>").append(escape(s.key())).append("</td>");
            if (v.isEmpty()) {
                b.append("<td class=\"na\" colspan=\"4\">no value</td><td class=\"num\">0</td></tr>\n");
                continue;
            }
            double min = v.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            double max = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            for (double x : new double[] {v.get(0), v.get(v.size() - 1), min, max}) {
                b.append("<td class=\"num\">").append(number(x)).append("</td>");
            }
            b.append("<td class=\"num\">").append(v.size()).append("</td></tr>\n");
        }
        b.append("</table>\n<p class=\"note\">Written by <code>renderloop train report</code> from the run's metrics.jsonl; "
                + "static page, no script.</p>\n</body></html>\n");
        return b.toString();
    }

    private static boolean hasValue(Series s) {
        return s != null && s.values().stream().anyMatch(v -> v != null);
    }

    /**
     * A line chart of {@code series} against the step, with a shaded band of ± {@code band} around the first series
     * when given. A step without a value breaks the line there.
     */
    static String lineChart(String title, String unit, List<Integer> steps, List<Series> series, Series band) {
        int left = 56;
        int top = 30;
        int plotW = 380;
        int plotH = 180;
        int legendRows = (series.size() + 1) / 2;
        int width = Math.max(left + plotW + 16, left + (int) Math.ceil(title.length() * 7.5) + 10);
        int height = top + plotH + 36 + 16 * legendRows;
        double xmin = steps.stream().mapToInt(Integer::intValue).min().orElse(0);
        double xmax = steps.stream().mapToInt(Integer::intValue).max().orElse(1);
        if (xmax == xmin) {
            xmin -= 1;
            xmax += 1;
        }
        double ymin = Double.POSITIVE_INFINITY;
        double ymax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < series.size(); i++) {
            List<Double> v = series.get(i).values();
            for (int j = 0; j < v.size(); j++) {
                Double y = v.get(j);
                if (y == null) {
                    continue;
                }
                double spread = i == 0 && band != null && band.values().get(j) != null ? band.values().get(j) : 0;
                ymin = Math.min(ymin, y - spread);
                ymax = Math.max(ymax, y + spread);
            }
        }
        if (ymax - ymin < 1e-12) {
            double pad = Math.max(Math.abs(ymax) * 0.1, 1e-3);
            ymin -= pad;
            ymax += pad;
        } else {
            double pad = (ymax - ymin) * 0.05;
            ymin -= pad;
            ymax += pad;
        }
        final double x0 = xmin;
        final double x1 = xmax;
        final double y0 = ymin;
        final double y1 = ymax;
        java.util.function.DoubleUnaryOperator px = x -> left + plotW * (x - x0) / (x1 - x0);
        java.util.function.DoubleUnaryOperator py = y -> top + plotH - plotH * (y - y0) / (y1 - y0);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
                width, height, width, height, escape(title)));
        b.append(text(left, 18, "start", "title", title));
        for (int i = 0; i <= 4; i++) {
            double v = ymin + (ymax - ymin) * i / 4;
            double y = py.applyAsDouble(v);
            b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", left, y, left + plotW, y));
            b.append(text(left - 4, (int) Math.round(y) + 4, "end", "small", number(v)));
            double s = xmin + (xmax - xmin) * i / 4;
            b.append(text((int) Math.round(px.applyAsDouble(s)), top + plotH + 14, "middle", "small", number(s)));
        }
        b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", left, top, plotW, plotH));
        b.append(text(left + plotW / 2, top + plotH + 28, "middle", "label", "step"));
        b.append(String.format(Locale.ROOT, "<text class=\"label\" transform=\"translate(12 %d) rotate(-90)\" text-anchor=\"middle\">%s</text>",
                top + plotH / 2, escape(unit)));
        if (band != null) {
            // the band as one polygon per unbroken run of steps with both a mean and a std
            List<double[]> run = new ArrayList<>();
            List<Double> mean = series.get(0).values();
            for (int j = 0; j <= steps.size(); j++) {
                boolean ok = j < steps.size() && mean.get(j) != null && band.values().get(j) != null;
                if (ok) {
                    run.add(new double[] {steps.get(j), mean.get(j), band.values().get(j)});
                } else if (!run.isEmpty()) {
                    StringBuilder pts = new StringBuilder();
                    for (double[] p : run) {
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(p[0]), py.applyAsDouble(p[1] + p[2])));
                    }
                    for (int k = run.size() - 1; k >= 0; k--) {
                        double[] p = run.get(k);
                        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(p[0]), py.applyAsDouble(p[1] - p[2])));
                    }
                    b.append("<polygon class=\"band\" points=\"").append(pts.toString().strip())
                            .append("\" fill=\"").append(COLOURS[0]).append("\" fill-opacity=\"0.15\" stroke=\"none\"/>");
                    run.clear();
                }
            }
        }
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            int points = 0;
            for (int j = 0; j < steps.size(); j++) {
                Double v = s.values().get(j);
                if (v == null) {
                    pen = false;
                    continue;
                }
                d.append(pen ? 'L' : 'M').append(String.format(Locale.ROOT, "%.1f %.1f", px.applyAsDouble(steps.get(j)), py.applyAsDouble(v)));
                pen = true;
                points++;
            }
            b.append("<path class=\"series\" d=\"").append(d).append("\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"1.6\" fill=\"none\"><title>").append(escape(s.key())).append("</title></path>");
            if (points <= 60) {  // markers while they stay legible; a lone value is otherwise invisible
                for (int j = 0; j < steps.size(); j++) {
                    Double v = s.values().get(j);
                    if (v != null) {
                        b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"><title>%s</title></circle>",
                                px.applyAsDouble(steps.get(j)), py.applyAsDouble(v), colour,
                                escape(s.key() + " at step " + steps.get(j) + ": " + number(v))));
                    }
                }
            }
        }
        for (int i = 0; i < series.size(); i++) {
            int lx = left + (i % 2) * (plotW / 2);
            int ly = top + plotH + 40 + 16 * (i / 2);
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", lx, ly - 9, COLOURS[i % COLOURS.length]));
            b.append(text(lx + 14, ly, "start", "small", series.get(i).key() + (i == 0 && band != null ? " (band: ± " + band.key() + ")" : "")));
        }
        return b.append("</svg>").toString();
    }

    private static String text(int x, int y, String anchor, String cls, String content) {
        return String.format(Locale.ROOT, "<text class=\"%s\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>", cls, x, y, anchor, escape(content));
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        double a = Math.abs(v);
        return a != 0 && (a < 1e-3 || a >= 1e6) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.4g", v);
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em 2em;color:#1a1a1a;background:#fff}
            h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
            th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.na{color:#888}
            .charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #ddd}.chart text{font:11px sans-serif}
            .chart text.title{font-weight:bold;font-size:12px}.note{color:#444}
            .warn{background:#fff4e5;border:1px solid #f0c36d;padding:.3em .8em;margin:.5em 0}
            """;
}
