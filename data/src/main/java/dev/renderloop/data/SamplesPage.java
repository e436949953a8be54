package dev.renderloop.data;

import dev.renderloop.bench.HtmlText;
import dev.renderloop.bench.LineDiff;
import dev.renderloop.data.BuildStore.DefectRow;
import dev.renderloop.data.BuildStore.Reference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code samples.html}: per domain, a few kept optimisation pairs (one per defect kind first, in build order): the
 * target render, the defective program's render or error, and the diff from the defective program to the correct
 * one. Static, no script; everything from the build is escaped (programs and errors are untrusted text).
 */
final class SamplesPage {
    private SamplesPage() {
    }

    static String html(BuildReport report, Map<String, Reference> kept, List<DefectRow> defects, int perDomain) {
        Map<String, List<DefectRow>> byDomain = new TreeMap<>();
        for (DefectRow d : defects) {
            byDomain.computeIfAbsent(kept.get(d.uid()).domain(), k -> new ArrayList<>()).add(d);
        }
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'\">")
                .append("<title>RenderLoop training data: sample pairs</title><style>")
                .append("body{font-family:sans-serif;margin:1.5em;max-width:1400px} table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left} img{max-width:320px;max-height:320px;border:1px solid #ddd}")
                .append("pre{font-size:12px;white-space:pre-wrap;max-width:560px;margin:0} .add{background:#e6ffec} .del{background:#ffebe9}")
                .append(".err{background:#fff5e6}</style></head><body>\n");
        b.append("<h1>Sample visual-code-optimisation pairs</h1>\n<p>").append(HtmlText.escape(report.command())).append("</p>\n");
        b.append("<h2>Counts</h2>\n<table><tr><th>domain</th><th>programs</th><th>rendered</th><th>kept</th><th>text2code</th>"
                + "<th>image2code</th><th>optimise</th></tr>\n");
        report.domains().forEach((d, c) -> b.append(String.format(Locale.ROOT,
                "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>%n", HtmlText.escape(d),
                c.programs(), c.rendered(), c.kept(), c.textToCode(), c.imageToCode(), c.optimisation())));
        b.append("</table>\n");
        if (byDomain.isEmpty()) {
            b.append("<p>No optimisation pair was kept.</p>\n");
        }
        for (var e : byDomain.entrySet()) {
            b.append("<h2>").append(HtmlText.escape(e.getKey())).append("</h2>\n<table><tr><th>target</th><th>defective program's render</th>"
                    + "<th>defect</th><th>diff (defective -&gt; correct)</th></tr>\n");
            for (DefectRow d : pick(e.getValue(), perDomain)) {
                Reference r = kept.get(d.uid());
                b.append("<tr><td>").append(HtmlText.escape(r.id())).append("<br>");
                if (r.image() != null) {
                    b.append("<img alt=\"target\" src=\"").append(HtmlText.urlPath(r.image())).append("\">");
                }
                b.append("</td><td>");
                if (d.image() != null) {
                    b.append("<img alt=\"defective render\" src=\"").append(HtmlText.urlPath(d.image())).append("\"><br>")
                            .append(String.format(Locale.ROOT, "corrected visual score %.3f", d.score()));
                } else {
                    b.append("<pre class=\"err\">").append(HtmlText.escape(d.errorKind() + ":\n" + tail(d.error(), 10))).append("</pre>");
                }
                b.append("</td><td>").append(HtmlText.escape(d.kind())).append(" at line ").append(d.line()).append("<br><code>")
                        .append(HtmlText.escape(abbreviate(d.before()))).append("</code> -&gt; <code>").append(HtmlText.escape(abbreviate(d.after())))
                        .append("</code></td><td><pre>");
                for (LineDiff.Line l : context(LineDiff.diff(display(r.domain(), d.code()), display(r.domain(), r.code())).lines(), 3)) {
                    if (l == null) {
                        b.append("…\n");
                        continue;
                    }
                    String css = l.kind() == LineDiff.Kind.ADDED ? "add" : l.kind() == LineDiff.Kind.REMOVED ? "del" : null;
                    String sign = l.kind() == LineDiff.Kind.ADDED ? "+ " : l.kind() == LineDiff.Kind.REMOVED ? "- " : "  ";
                    b.append(css == null ? "" : "<span class=\"" + css + "\">").append(HtmlText.escape(sign + abbreviate(l.text())))
                            .append(css == null ? "" : "</span>").append('\n');
                }
                b.append("</pre></td></tr>\n");
            }
            b.append("</table>\n");
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    /** Up to {@code n} rows, one per kind first (in order of first appearance), then the rest in order. */
    static List<DefectRow> pick(List<DefectRow> rows, int n) {
        Map<String, List<DefectRow>> byKind = new LinkedHashMap<>();
        rows.forEach(r -> byKind.computeIfAbsent(r.kind(), k -> new ArrayList<>()).add(r));
        List<DefectRow> out = new ArrayList<>();
        for (int round = 0; out.size() < n; round++) {
            boolean any = false;
            for (List<DefectRow> l : byKind.values()) {
                if (round < l.size() && out.size() < n) {
                    out.add(l.get(round));
                    any = true;
                }
            }
            if (!any) {
                break;
            }
        }
        return out;
    }

    /** The changed lines with {@code k} lines of context; null marks a gap. */
    private static List<LineDiff.Line> context(List<LineDiff.Line> lines, int k) {
        List<LineDiff.Line> out = new ArrayList<>();
        boolean gap = false;
        for (int i = 0; i < lines.size(); i++) {
            boolean near = false;
            for (int j = Math.max(0, i - k); j <= Math.min(lines.size() - 1, i + k) && !near; j++) {
                near = lines.get(j).kind() != LineDiff.Kind.SAME;
            }
            if (near) {
                if (gap && !out.isEmpty()) {
                    out.add(null);
                }
                out.add(lines.get(i));
                gap = false;
            } else {
                gap = true;
            }
        }
        return out;
    }

    /** Markup split between tags for the diff only, so a one-line SVG's change shows as the element that changed. */
    private static String display(String domain, String code) {
        return domain.equals("svg") || domain.equals("html") ? code.replace("><", ">\n<") : code;
    }

    private static String tail(String text, int n) {
        List<String> lines = text == null ? List.of() : text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** One-line SVG programs are long: lines over 400 characters are cut in the page (never in the data). */
    private static String abbreviate(String s) {
        return s == null || s.length() <= 400 ? s : s.substring(0, 400) + " …";
    }
}
