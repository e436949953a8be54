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
    /** Links to files (the in-page glossary link is not one). */
    private static final Pattern HREF = Pattern.compile("href=\"([^\"#][^\"]*)\"");

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
        assertTrue(html.contains("0.667<span class=\"ci\"> [0.367, 0.767]</span>"), html);
        // a metric no strategy has is not a column of n/a: it is named under the table with the reason, and listed
        assertFalse(html.contains("<th>CBB</th>"), html);
        assertTrue(html.contains("<b>CBB</b> (no tree-sitter grammar for svg)"), html);
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

    /** Edits a synthetic run's summary.json. */
    private static void editSummary(RunLayout run, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit)
            throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode s = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(run.summary().toFile());
        edit.accept(s);
        Files.writeString(run.summary(), json.writeValueAsString(s));
    }

    /** The default configuration: no CLIP model, so the full VS has no value (failed renders' zeros aside). */
    private static void withoutClip(com.fasterxml.jackson.databind.node.ObjectNode s) {
        for (com.fasterxml.jackson.databind.JsonNode strategy : s.path("metrics")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) strategy.path("all")).putNull("vs_paper").putNull("vs_corrected");
            for (com.fasterxml.jackson.databind.JsonNode level : strategy.path("levels")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) level).putNull("vs_paper").putNull("vs_corrected");
            }
        }
        ((com.fasterxml.jackson.databind.node.ObjectNode) s.path("unavailable")).put("vs_paper", "needs vs_paper_clip: no CLIP image embedder configured")
                .put("vs_corrected", "needs vs_corrected_clip: no CLIP image embedder configured");
    }

    @Test
    void comparisonWithoutClip_showsTheSsimColumnsAndAGlossary() throws Exception {
        RunLayout a = SyntheticRun.create(tmp.resolve("run-a"), 5, "oracle-defects:1", true);
        RunLayout b = SyntheticRun.create(tmp.resolve("run-b"), 6, "openai:gpt-x", false);
        editSummary(a, HtmlReportTest::withoutClip);
        editSummary(b, HtmlReportTest::withoutClip);
        String html = Files.readString(HtmlReport.writeComparison(List.of(a, b), tmp.resolve("cmp")));
        String head = html.substring(html.indexOf("<table id=\"comparison\">"), html.indexOf("</thead>"));
        for (String title : List.of("RSR", "VS paper (SSIM)", "VS corrected (SSIM)", "SSIM", "Tiled", "CodeBLEU", "AST distance")) {
            assertTrue(head.contains("<th>" + title + "</th>"), title + " in " + head);
        }
        assertFalse(head.contains("<th>VS paper</th>") || head.contains("<th>VS corrected</th>"), head);
        assertTrue(html.contains("<b>VS paper</b> (needs vs_paper_clip: no CLIP image embedder configured)"), html);
        assertTrue(html.contains("<h2 id=\"glossary\">Glossary</h2>") && html.contains("href=\"#glossary\""), html);
        for (String term : List.of("RSR (render success rate), 0 to 1", "VS paper, 0 to 1", "VS corrected, 0 to 1", "Tiled, 0 to 1",
                "CodeBLEU, 0 to 1", "AST distance, 0 to 1 (lower is closer)")) {
            assertTrue(html.contains("<dt>" + term + "</dt>"), term);
        }
        assertTrue(html.contains("profiles of best-match SSIM values"), "the paper-vs-corrected difference is explained");

        String index = Files.readString(HtmlReport.write(a));
        assertFalse(index.contains("codebleu vs vs_corrected</text>"), "VS is unavailable: no scatter of it");
        assertTrue(index.contains("codebleu vs vs_corrected_ssim</text>"), index);
    }

    @Test
    void leftOutTasks_areCountedAndNamedBesideTheMetrics() throws Exception {
        RunLayout run = SyntheticRun.create(tmp.resolve("run"), 3, "oracle-defects:1", true);
        editSummary(run, s -> {
            com.fasterxml.jackson.databind.node.ObjectNode left = s.putObject("left_out");
            left.put("n", 1).put("of", 3);
            left.putObject("tasks").put("star#3", "runtime_error: Traceback (most recent call last):\nModuleNotFoundError: No module named 'scipy'");
            ((com.fasterxml.jackson.databind.node.ObjectNode) s.path("metrics").path("ritl").path("all")).putNull("ssim");
        });
        String html = Files.readString(HtmlReport.write(run));
        assertTrue(html.contains("cover 2 of 3 tasks: 1 reference does not render here"), html);
        assertTrue(html.contains("<li>star#3: ModuleNotFoundError: No module named &#39;scipy&#39;</li>"), html);
        assertFalse(html.contains("not defined for this domain"), "no wrong reason in a tooltip");
        String cmp = Files.readString(HtmlReport.writeComparison(List.of(run), tmp.resolve("cmp")));
        assertTrue(cmp.contains("cover 2 of 3 tasks"), cmp);
    }

    @Test
    void taskPage_withAVideo_playsItBesideTheReferenceAndKeepsTheStripForPrint() throws Exception {
        RunLayout run = SyntheticRun.create(tmp.resolve("run"), 4, "oracle-defects:1", true);
        Files.write(run.referenceFrames("circle-1").resolve("video.mp4"), new byte[] {0, 0, 0, 24});
        Files.write(run.finalFrames("circle-1", "ritl").resolve("video.mp4"), new byte[] {0, 0, 0, 24});
        Path index = HtmlReport.write(run);
        String html = Files.readString(index.getParent().resolve("tasks").resolve(HtmlReport.taskFiles(
                List.of(task("circle-1"))).get("circle-1")));
        assertTrue(html.contains("media-src 'self' file:"), "the policy lets videos load from the run folder only");
        assertTrue(html.contains("<video class=\"media\" controls muted loop playsinline preload=\"auto\" "
                + "src=\"../../artifacts/circle-1/reference/video.mp4\""), html);
        assertTrue(html.contains("src=\"../../artifacts/circle-1/ritl/video.mp4\""), html);
        assertEquals(2 + 1, count(html, "<video "), "the reference beside each strategy's final; vanilla's final has no video");
        assertEquals(4, count(html, "<div class=\"strip\">"), "frame strips stay");
        assertTrue(html.contains("@media print{video.media{display:none}}"));
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
