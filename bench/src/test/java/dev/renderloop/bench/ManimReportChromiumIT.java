package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.agent.AgentConfig;
import dev.renderloop.agent.Strategy;
import dev.renderloop.policy.Policies;
import dev.renderloop.policy.Sampling;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reports of real benchmark runs in the default configuration (no CLIP, DINOv2 or CodeBERT model), opened from disk in
 * headless Chromium: a Manim run (rendered by the Manim test double of render's tests, which encodes real H.264 mp4
 * with PyAV) and an svg run. The comparison page shows the SSIM-based visual columns and fits 1400 px; a Manim task
 * page plays the candidate's and the reference's videos side by side. Screenshots are kept in
 * {@code target/report-screenshots/} for a person to look at.
 */
class ManimReportChromiumIT {
    private static final Pattern PROBE = Pattern.compile("<pre id=\"probe\">(.*?)</pre>", Pattern.DOTALL);
    private static final Path SHOTS = Path.of("target", "report-screenshots");

    @TempDir
    static Path tmp;

    static Path chromium;
    static RunLayout manim;
    static RunLayout svg;
    static Path comparison;

    static List<Task> manimTasks() {
        String slide = String.join("\n", "from manim import *", "", "class Slide(Scene):", "    def construct(self):",
                "        c = Circle(color=RED)", "        self.play(FadeIn(c), run_time=1)", "        self.play(Shift(c, RIGHT * 2), run_time=1)");
        String squares = String.join("\n", "from manim import *", "", "class Squares(Scene):", "    def construct(self):",
                "        s = Square(color=GREEN)", "        self.play(FadeIn(s), run_time=1)", "        self.play(Shift(s, LEFT * 2), run_time=1)",
                "        self.wait(1)");
        String circle = String.join("\n", "from manim import *", "", "class Dot(Scene):", "    def construct(self):",
                "        c = Circle(color=BLUE)", "        self.play(Shift(c, UP), run_time=2)");
        return List.of(new Task("slide", "manim", "A red circle fades in and slides right", slide, null, "Basic"),
                new Task("squares", "manim", "A green square fades in, slides left and waits", squares, null, "Basic"),
                new Task("dot", "manim", "A blue circle moves up", circle, null, "Advanced"));
    }

    @BeforeAll
    static void runBenchmarks() throws Exception {
        chromium = HtmlReportChromiumIT.locate();
        Assumptions.assumeTrue(chromium != null, "Chromium not found (looked for $RENDERLOOP_CHROMIUM, chromium-headless-shell, "
                + "chromium); apt-get install chromium");
        Path fakeManim = Path.of("..", "render", "src", "test", "resources", "fake-manim").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(fakeManim.resolve("manim/__init__.py")), "the Manim test double is not at " + fakeManim);
        Process check = new ProcessBuilder(RenderEngine.defaultPython().toString(), "-c", "import av, PIL, numpy")
                .redirectErrorStream(true).start();
        String why = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(check.waitFor() == 0, "the Manim test double needs PyAV, Pillow and numpy "
                + "(apt-get install python3-av python3-pil python3-numpy): " + why);
        manim = new RunLayout(tmp.resolve("manim-run"));
        svg = new RunLayout(tmp.resolve("svg-run"));
        try (RenderEngine engine = RenderEngine.builder().cacheDir(tmp.resolve("cache")).workers(2)
                .pythonPath(List.of(fakeManim)).build()) {
            AgentConfig config = new AgentConfig(2, Sampling.greedy(64), 10, 30);
            List<Strategy> strategies = List.of(Strategy.VANILLA, Strategy.RITL);
            Bench.builder().layout(manim).suite("manim-double", manimTasks()).strategies(strategies)
                    .policy(Policies.oracleWithDefects(1)).engine(engine).agentConfig(config).concurrency(2).build().run();
            Bench.builder().layout(svg).suite("bundled:svg", Suites.bundled("svg").tasks().subList(0, 6)).strategies(strategies)
                    .policy(Policies.oracleWithDefects(1)).engine(engine).agentConfig(config).concurrency(2).build().run();
        }
        comparison = HtmlReport.writeComparison(List.of(manim, svg), tmp.resolve("compare"));
        Files.createDirectories(SHOTS);
    }

    @Test
    void comparisonShowsTheSsimColumnsWithoutClipAndFits1400Pixels() throws Exception {
        String html = Files.readString(comparison);
        String head = html.substring(html.indexOf("<table id=\"comparison\">"), html.indexOf("</thead>", html.indexOf("<table id=\"comparison\">")));
        for (String title : List.of("VS paper (SSIM)", "VS corrected (SSIM)", "SSIM", "Tiled", "RSR", "CodeBLEU")) {
            assertTrue(head.contains("<th>" + title + "</th>"), title + " in " + head);
        }
        assertFalse(head.contains("<th>VS paper</th>"), "no CLIP model: the full VS has no value in any run, so it is not a column of n/a");
        assertTrue(html.contains("id=\"hidden-columns\"") && html.contains("CLIP"), "the page says why VS is not shown");
        assertTrue(html.contains("<h2 id=\"glossary\">Glossary</h2>"));

        String dom = probe(comparison, "document.documentElement.scrollWidth + ' ' + "
                + "Math.round(document.getElementById('comparison').getBoundingClientRect().right) + ' ' + "
                + "document.querySelectorAll('#comparison tbody tr').length", 1400);
        String[] numbers = dom.strip().split(" ");
        assertTrue(Integer.parseInt(numbers[0]) <= 1400, "the page does not scroll sideways at 1400 px: " + dom);
        assertTrue(Integer.parseInt(numbers[1]) <= 1400, "the table fits: " + dom);
        assertEquals("4", numbers[2], "2 runs x 2 strategies");
        screenshot(comparison, 1400, 1100, SHOTS.resolve("comparison.png"));
    }

    @Test
    void runIndexFitsAndDrawsNoUnavailableMetric() throws Exception {
        Path index = manim.reportDir().resolve("index.html");
        String html = Files.readString(index);
        assertFalse(html.contains("vs codebleu") && html.contains(": codebleu vs vs_paper<"), "no scatter of VS without CLIP");
        assertFalse(html.contains("codebleu vs vs_paper</text>"), "VS paper is unavailable: not plotted as zeros");
        String dom = probe(index, "document.documentElement.scrollWidth + ' ' + "
                + "Math.round(document.getElementById('metrics').getBoundingClientRect().right) + ' ' + "
                + "[...document.querySelectorAll('svg.chart')].map(s => { const t = s.querySelector('text.title'); "
                + "return t.getBBox().x + t.getBBox().width <= s.width.baseVal.value ? 'fits' : 'cut:' + t.textContent; }).join(',')", 1400);
        String[] parts = dom.strip().split(" ", 3);
        assertTrue(Integer.parseInt(parts[0]) <= 1400, "no sideways scroll at 1400 px: " + dom);
        assertTrue(Integer.parseInt(parts[1]) <= 1400, "the metrics table fits: " + dom);
        assertFalse(parts[2].contains("cut:"), "every chart title fits its chart: " + parts[2]);
        screenshot(index, 1400, 1600, SHOTS.resolve("manim-index.png"));
        screenshot(svg.reportDir().resolve("index.html"), 1400, 1600, SHOTS.resolve("svg-index.png"));
    }

    @Test
    void manimTaskPagePlaysBothVideosSideBySide() throws Exception {
        Path page = manim.reportDir().resolve("tasks").resolve("slide.html");
        String html = Files.readString(page);
        assertTrue(html.contains("media-src 'self' file:"), "the page's policy lets the videos load from disk");
        assertTrue(html.contains("<video class=\"media\""), html);
        assertTrue(html.contains("class=\"strip\""), "the frame strips stay (they are what prints)");
        assertTrue(html.contains("@media print{video.media{display:none}}"));
        // readyState 4 = HAVE_ENOUGH_DATA: the first frames are decoded; play() resolving and time advancing = it plays
        String dom = probe(page, "window.__videos", 1400, """
                window.__videos = 'pending';
                window.addEventListener('load', async () => {
                  const out = [];
                  for (const v of document.querySelectorAll('video')) {
                    if (v.readyState < 2) { await new Promise(r => { v.addEventListener('loadeddata', r, {once: true});
                      v.addEventListener('error', r, {once: true}); setTimeout(r, 8000); }); }
                    let played = 'no';
                    // Time advancing (or the video ending) within 8 s: a fixed 600 ms wait saw a headless Chromium
                    // on a loaded 2-core machine not advance yet about one run in three.
                    try { await v.play(); const t0 = v.currentTime; const until = Date.now() + 8000;
                      while (v.currentTime <= t0 && !v.ended && Date.now() < until) { await new Promise(r => setTimeout(r, 100)); }
                      played = v.currentTime > t0 || v.ended ? 'yes' : 'stalled'; v.pause(); } catch (e) { played = 'error ' + e.name; }
                    const side = v.closest('figure').classList.contains('reference') ? 'reference' : 'candidate';
                    out.push(side + ' ready=' + v.readyState + ' size=' + v.videoWidth + 'x' + v.videoHeight
                      + ' duration=' + (v.duration > 0) + ' played=' + played + ' error=' + (v.error ? v.error.code : 'none'));
                  }
                  window.__videos = out.join('\\n');
                  document.getElementById('probe').textContent = window.__videos;
                });
                """);
        List<String> videos = dom.lines().filter(l -> !l.isBlank()).toList();
        // the reference beside each strategy's final; a final that did not render has no video
        assertTrue(videos.size() >= 3, "reference and final videos: " + dom);
        for (String v : videos) {
            assertTrue(v.contains("ready=4") || v.contains("ready=3") || v.contains("ready=2"), v);
            assertTrue(v.contains("size=854x480") && v.contains("duration=true") && v.contains("error=none"), v);
            assertTrue(v.contains("played=yes"), v);
        }
        assertEquals(2, videos.stream().filter(v -> v.startsWith("reference")).count());
        screenshot(page, 1400, 1000, SHOTS.resolve("manim-task.png"));
    }

    /**
     * Opens a copy of {@code page} (beside it, so relative links hold) whose policy also allows inline script, with a
     * probe that writes {@code expression} (or what {@code script} leaves in {@code #probe}) into the DOM.
     */
    private static String probe(Path page, String expression, int width) throws Exception {
        return probe(page, expression, width, "window.addEventListener('load', () => { document.getElementById('probe').textContent = "
                + expression + "; });");
    }

    private static String probe(Path page, String expression, int width, String script) throws Exception {
        String html = Files.readString(page);
        assertTrue(html.contains("default-src 'none';"), "the page carries its no-network policy");
        String copy = html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                .replace("</body>", "<pre id=\"probe\"></pre><script>" + script + "</script></body>");
        Path file = page.resolveSibling("probe-" + page.getFileName());
        Files.writeString(file, copy, StandardCharsets.UTF_8);
        String dom = new String(chromium(List.of("--window-size=" + width + ",1000", "--autoplay-policy=no-user-gesture-required",
                "--virtual-time-budget=15000", "--dump-dom", file.toUri().toString())), StandardCharsets.UTF_8);
        Matcher m = PROBE.matcher(dom);
        assertTrue(m.find(), dom);
        return m.group(1).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&");
    }

    private static void screenshot(Path page, int width, int height, Path png) throws Exception {
        chromium(List.of("--window-size=" + width + "," + height, "--hide-scrollbars", "--virtual-time-budget=5000",
                "--screenshot=" + png.toAbsolutePath(), page.toUri().toString()));
        assertTrue(Files.size(png) > 1000, "a screenshot at " + png);
    }

    private static byte[] chromium(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--user-data-dir=" + tmp.resolve("profile")));
        cmd.addAll(args);
        Path err = Files.createTempFile(tmp, "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Chromium timed out: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), () -> "Chromium failed: " + err);
        return out;
    }

}
