package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
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
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report in a real headless Chromium, opened from disk ({@code file://}, no server, no network): the index
 * parses with its tables and charts, and a task page shows the reference and the final renders (the images
 * load, and their colours are on the screenshot). Needs Debian's chromium-headless-shell or chromium.
 */
class HtmlReportChromiumIT {
    private static final Pattern PROBE = Pattern.compile("<pre id=\"probe\">(.*?)</pre>", Pattern.DOTALL);

    @TempDir
    static Path tmp;

    static Path chromium;
    static RunLayout run;
    static Path index;

    @BeforeAll
    static void writeReport() throws Exception {
        chromium = locate();
        Assumptions.assumeTrue(chromium != null, "Chromium not found (looked for $RENDERLOOP_CHROMIUM, chromium-headless-shell, "
                + "chromium); apt-get install chromium-headless-shell");
        run = SyntheticRun.create(tmp.resolve("run"), 11, "oracle-defects:1", true);
        index = HtmlReport.write(run);
    }

    @Test
    void index_loadsFromDisk_withMetricsTableChartsAndTaskLinks() throws Exception {
        String dom = dumpDom(index);
        assertTrue(dom.contains("<table id=\"metrics\">"), dom);
        // 3 strategy rows in the metrics table: the DOM as Chromium parsed it
        String metrics = dom.substring(dom.indexOf("<table id=\"metrics\">"), dom.indexOf("</table>", dom.indexOf("<table id=\"metrics\">")));
        assertEquals(3, HtmlReportTest.count(metrics, "<tr><td>"), metrics);
        assertEquals(6, HtmlReportTest.count(dom, "<svg "), "two bar charts and two scatter plots per strategy");
        assertEquals(SyntheticRun.TASKS.length, HtmlReportTest.count(dom, "<a href=\"tasks/"), dom);
    }

    @Test
    void taskPage_showsReferenceAndCandidateImagesLoaded() throws Exception {
        Path page = index.getParent().resolve("tasks").resolve(RunLayout.safe("circle-1") + ".html");
        // A copy beside the page (same relative links) with a probe script that reports every image's natural
        // size. The page's own policy forbids scripts; the copy allows inline script and nothing else.
        String html = Files.readString(page);
        assertTrue(html.contains("default-src 'none';"), "the page carries its no-network policy");
        String probe = html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                .replace("</body>", "<pre id=\"probe\"></pre><script>window.addEventListener('load', () => {"
                        + "document.getElementById('probe').textContent = [...document.images].map(i => "
                        + "(i.closest('figure').classList.contains('reference') ? 'reference' : 'candidate') + ' ' + i.naturalWidth + 'x' + i.naturalHeight"
                        + ").join('\\n') + '\\nscripts ' + document.scripts.length;});</script></body>");
        Path copy = page.resolveSibling("probe-" + page.getFileName());
        Files.writeString(copy, probe, StandardCharsets.UTF_8);
        String dom = dumpDom(copy);
        Matcher m = PROBE.matcher(dom);
        assertTrue(m.find(), dom);
        List<String> lines = m.group(1).lines().toList();
        assertEquals("scripts 1", lines.get(lines.size() - 1), "only the probe script is a script element");
        List<String> images = lines.subList(0, lines.size() - 1);
        // 2 applicable strategies (ritl-doc is not): the 8-frame reference strip beside each 2-frame final
        assertEquals(16, images.stream().filter(l -> l.equals("reference 48x32")).count(), images.toString());
        assertEquals(4, images.stream().filter(l -> l.equals("candidate 48x32")).count(), images.toString());
        assertEquals(20, images.size(), "every image loaded: " + images);

        // the real page (policy in force, no script): the reference frames are red, the finals blue
        BufferedImage shot = screenshot(page, 1400, 1000);
        int red = 0;
        int blue = 0;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                int rgb = shot.getRGB(x, y);
                int r = rgb >> 16 & 0xff;
                int g = rgb >> 8 & 0xff;
                int b = rgb & 0xff;
                red += r > 170 && g < 70 && b < 70 ? 1 : 0;
                blue += b > 170 && r < 70 && g < 70 ? 1 : 0;
            }
        }
        // each frame has about 48x32 - 8x8 = 1,472 pixels of its colour
        assertTrue(red > 5 * 1400, "reference frames on screen: " + red + " red pixels");
        assertTrue(blue > 2 * 1400, "final frames on screen: " + blue + " blue pixels");
    }

    @Test
    void hostileAnswer_isTextInTheBrowser() throws Exception {
        Path page = index.getParent().resolve("tasks").resolve(RunLayout.safe("star#3") + ".html");
        String dom = dumpDom(page);
        assertTrue(!dom.contains("<script"), "no script element in the parsed page");
        assertTrue(dom.contains("Here you go &lt;script&gt;alert('pwned')&lt;/script&gt; &amp; done"), dom);
    }

    private static String dumpDom(Path page) throws IOException, InterruptedException {
        return new String(chromium(List.of("--dump-dom", page.toUri().toString())), StandardCharsets.UTF_8);
    }

    private static BufferedImage screenshot(Path page, int width, int height) throws IOException, InterruptedException {
        Path png = tmp.resolve("shot-" + System.nanoTime() + ".png");
        chromium(List.of("--window-size=" + width + "," + height, "--hide-scrollbars", "--screenshot=" + png, page.toUri().toString()));
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null, "no screenshot at " + png);
        return img;
    }

    private static byte[] chromium(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--user-data-dir=" + tmp.resolve("profile")));
        cmd.addAll(args);
        Path err = Files.createTempFile(tmp, "chromium", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Chromium timed out: " + Files.readString(err));
        }
        assertEquals(0, p.exitValue(), () -> "Chromium failed: " + readQuietly(err));
        return out;
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The lookup of render's ChromiumRenderer.locate(): $RENDERLOOP_CHROMIUM, the headless shell, chromium. */
    static Path locate() {
        String env = System.getenv("RENDERLOOP_CHROMIUM");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        for (Path p : List.of(Path.of("/usr/lib/chromium/chromium-headless-shell"), Path.of("/usr/bin/chromium-headless-shell"),
                Path.of("/usr/bin/chromium"))) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }
}
