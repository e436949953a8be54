package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report of a synthetic run folder (3 tasks x 2 strategies, hostile texts): structure, escaping, links. */
class HtmlReportTest {
    private static final Pattern IMG_SRC = Pattern.compile("<img src=\"([^\"]+)\"");
    private static final Pattern HREF = Pattern.compile("href=\"([^\"]+)\"");

    @TempDir
    Path tmp;

    @Test
    void write_syntheticRun_writesIndexWithTablesChartsAndTaskLinks() throws Exception {
        RunLayout run = SyntheticRun.create(tmp.resolve("run-a"), 1, "oracle-defects:1", true);
        Path index = HtmlReport.write(run);
        assertEquals(run.reportDir().resolve("index.html"), index);
        String html = Files.readString(index);
        assertTrue(html.contains("<table id=\"metrics\">"), html);
        assertTrue(html.contains("<table id=\"levels\">"), html);
        assertTrue(html.contains("<table id=\"tasks\">"), html);
        assertTrue(html.contains("oracle-defects:1 <span class=\"badge baseline\">baseline</span>"), html);
        // RSR of vanilla from summary.json with its interval
        assertTrue(html.contains("0.667 [0.367, 0.767]"), html);
        // unavailable metric: n/a with the reason as tooltip, and listed
        assertTrue(html.contains("<span class=\"na\" title=\"no tree-sitter grammar for svg\">n/a</span>"), html);
        assertTrue(html.contains("<li>metric <b>cbb</b>: no tree-sitter grammar for svg</li>"), html);
        assertTrue(html.contains("title=\"not applicable: svg has no API documentation\""), html);
        // provenance is escaped
        assertTrue(html.contains("&lt;test-host&gt;"), html);
        // charts: two bar charts and two scatters per applicable strategy (VS before its SSIM part, ast/tiled last)
        assertEquals(2 + 2 * 2, count(html, "<svg "), html);
        assertTrue(html.contains("vanilla: codebleu vs vs_corrected</text><text class=\"small\" x=\"50\" y=\"32\" text-anchor=\"start\">n=3, Pearson 0.520, Spearman 0.500"), html);
        assertTrue(html.contains("Pearson 0.410, Spearman 0.370"), html);
        assertFalse(html.contains("codebleu vs tiled") || html.contains("ast_distance vs tiled</text>"), "third pair only in the table");
        // every correlation in the table, a missing coefficient as n/a
        int start = html.indexOf("<table id=\"correlations\">");
        assertEquals(2 * 3, count(html.substring(start, html.indexOf("</table>", start)), "<tr><td>"), html);
        assertTrue(html.contains("<td>ast_distance</td><td>tiled</td><td class=\"num\">3</td><td class=\"num\">-0.200</td><td class=\"num\">n/a</td>"), html);
        // every task link resolves to a written page
        List<String> links = matches(HREF, html);
        assertEquals(SyntheticRun.TASKS.length, links.size(), links.toString());
        for (String l : links) {
            assertTrue(Files.isRegularFile(index.getParent().resolve(URLDecoder.decode(l, StandardCharsets.UTF_8))), l);
        }
        assertFalse(html.contains("<script"), "no script on the page");
        String withoutSvgNamespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assertFalse(withoutSvgNamespace.contains("http:") || withoutSvgNamespace.contains("https:"), "no network URL");
    }

    @Test
    void write_taskPage_showsReferenceBesideEachFinalAndResolvableFrames() throws Exception {
        RunLayout run = SyntheticRun.create(tmp.resolve("run-b"), 2, "oracle-defects:1", false);
        Path index = HtmlReport.write(run);
        Path page = index.getParent().resolve("tasks").resolve(HtmlReport.taskFiles(
                List.of(new ReportInput.Task("circle-1", "", "", "", "", "", "", List.of()))).get("circle-1"));
        String html = Files.readString(page);
        // two applicable strategies: the reference strip beside each; ritl-doc says why it is not there
        assertEquals(2, count(html, "<figure class=\"render reference\">"), html);
        assertEquals(2, count(html, "<figure class=\"render candidate\""), html);
        assertTrue(html.contains("ritl-doc: not applicable (svg has no API documentation)"), html);
        List<String> srcs = matches(IMG_SRC, html);
        // 10 reference frames shown as a strip of 8, twice; 2 frames for each of the two finals
        assertEquals(2 * 8 + 2 * 2, srcs.size(), srcs.toString());
        for (String s : srcs) {
            assertTrue(s.startsWith("../../artifacts/"), s);
            assertTrue(Files.isRegularFile(page.getParent().resolve(URLDecoder.decode(s, StandardCharsets.UTF_8)).normalize()), s);
        }
        assertTrue(html.contains("frame_000.png") && html.contains("frame_009.png"), "strip includes first and last frame");
        assertTrue(html.contains("<span class=\"add\">+   &lt;circle r=&quot;12&quot;/&gt;</span>"), html);
        assertTrue(html.contains("<span class=\"del\">-   &lt;circle r=&quot;10&quot;/&gt;</span>"), html);
    }

    @Test
    void write_hostileTexts_renderAsText() throws Exception {
        RunLayout run = SyntheticRun.create(tmp.resolve("run-c"), 3, "p", false);
        HtmlReport.write(run);
        String html = Files.readString(run.reportDir().resolve("tasks").resolve(RunLayout.safe("star#3") + ".html"));
        assertFalse(html.contains("<script"), "a model answer's <script> must not become an element");
        assertFalse(html.contains("<img src=x"), "an error's markup must not become an element");
        assertTrue(html.contains("Here you go &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; done"), html);
        assertTrue(html.contains("NameError: &lt;img src=x onerror=alert(1)&gt; is not defined"), html);
        assertTrue(html.contains("Draw a star &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"), html);
        assertTrue(html.contains("did not render: runtime"), "vanilla's failed final shows its error");
        assertTrue(html.contains("<details><summary>answer</summary>"), html);
    }

    @Test
    void check_badFolders_sayWhy() throws Exception {
        assertTrue(HtmlReport.check(new RunLayout(tmp.resolve("nope"))).orElseThrow().contains("no run folder"));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertTrue(HtmlReport.check(new RunLayout(empty)).orElseThrow().contains("no summary.json"));
        Files.writeString(empty.resolve("summary.json"), "{\"run\": ");
        assertTrue(HtmlReport.check(new RunLayout(empty)).orElseThrow().contains("is not valid JSON"));
        Files.writeString(empty.resolve("summary.json"), "{}");
        assertTrue(HtmlReport.check(new RunLayout(empty)).orElseThrow().contains("no results.duckdb"));
        Files.writeString(empty.resolve("results.duckdb"), "not a database");
        assertTrue(HtmlReport.check(new RunLayout(empty)).orElseThrow().startsWith("cannot read"));
        assertThrows(IllegalArgumentException.class, () -> HtmlReport.write(new RunLayout(empty)));
        RunLayout good = SyntheticRun.create(tmp.resolve("good"), 4, "p", false);
        assertTrue(HtmlReport.check(good).isEmpty());
    }

    @Test
    void writeComparison_twoRuns_oneRowPerRunAndStrategy() throws Exception {
        RunLayout a = SyntheticRun.create(tmp.resolve("run-base"), 5, "oracle-defects:1", true);
        RunLayout b = SyntheticRun.create(tmp.resolve("run-model"), 6, "openai:gpt-x", false);
        HtmlReport.write(a);
        HtmlReport.write(b);
        Path page = HtmlReport.writeComparison(List.of(a, b), tmp.resolve("cmp"));
        String html = Files.readString(page);
        assertTrue(html.contains("<table id=\"comparison\">"), html);
        assertEquals(2 * 3, count(html, "<tr><td><a href="), html);  // 3 strategies per run (ritl-doc n/a)
        for (String l : matches(HREF, html)) {
            assertTrue(Files.isRegularFile(page.getParent().resolve(l)), l);
        }
        assertTrue(html.contains("oracle-defects:1 <span class=\"badge baseline\">baseline</span>"), html);
        assertTrue(html.contains("openai:gpt-x</td>"), html);
    }

    @Test
    void taskFiles_collidingIds_getDistinctNames() {
        Map<String, String> files = HtmlReport.taskFiles(List.of(task("a/b"), task("a_b"), task("A_B"), task(".x")));
        assertEquals(4, files.values().stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).distinct().count(), files.toString());
        assertEquals("a_b.html", files.get("a/b"));
        assertFalse(files.get(".x").startsWith("."), files.toString());
    }

    private static ReportInput.Task task(String id) {
        return new ReportInput.Task(id, "svg", null, "", "", "ok", null, List.of());
    }

    static int count(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static List<String> matches(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(m.group(1).replace("&amp;", "&"));
        }
        return out;
    }
}
