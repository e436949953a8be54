package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LaTeX/TikZ rendering and its hostile inputs, on the real pdflatex in the sandbox. */
class TikzRendererIT {
    static RenderEngine engine;
    static final RenderSettings FAST = RenderSettings.TIKZ_DEFAULTS.withTimeout(Duration.ofSeconds(5));

    @BeforeAll
    static void start() {
        engine = TestEngines.plain(1);
        assertTrue(engine.availability("tikz").available(), engine.availability("tikz").detail());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @AfterEach
    void nothingLeftBehind() throws InterruptedException {
        assertEquals(List.of(), TestEngines.strayProcessesSettled());
    }

    static RenderResult render(String code) {
        return engine.render(new RenderRequest("tikz", code, FAST));
    }

    @Test
    void bareSnippet_isWrapped_andDrawnAt300Dpi() throws Exception {
        RenderResult r = render("\\fill[red] (0,0) rectangle (2.54,2.54);");  // one inch square
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        // 1 in at 300 dpi plus the 2 pt border on each side: 300 + 2 * 2/72 * 300 = 316.7 px
        assertTrue(Math.abs(image.getWidth() - 317) <= 2, "width " + image.getWidth());
        assertEquals(0xff0000, image.getRGB(image.getWidth() / 2, image.getHeight() / 2) & 0xffffff);
        assertEquals("forked", r.details().get("format"));
        assertEquals("pdf", r.details().get("page_size_from"), "the page size is read from the PDF, not by pdfinfo");
        assertEquals("forked", r.details().get("raster"), "rasterised by a copy of the warm pdftoppm");
        assertEquals("parent", r.details().get("job"), "a covered document needs no job child");
    }

    @Test
    void fullDocumentWithTheStandardPreamble_usesTheForkServer_otherwisePlainPdflatex() {
        String covered = "\\documentclass{standalone}\n\\usepackage{tikz}\n\\usetikzlibrary{positioning}\n"
                + "\\begin{document}\\begin{tikzpicture}\\node[draw] (a) {A};\\node[right=of a] {B};\\end{tikzpicture}\\end{document}\n";
        RenderResult a = render(covered);
        assertTrue(a.ok(), a.error());
        assertEquals("forked", a.details().get("format"), "a covered preamble goes to a copy of the warm pdflatex");
        assertEquals("namespaces", a.details().get("jail"), "each copy jails its job");
        String other = "\\documentclass{article}\n\\usepackage{tikz}\n\\pagestyle{empty}\n"
                + "\\begin{document}\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}\\end{document}\n";
        RenderResult b = render(other);
        assertTrue(b.ok(), b.error());
        assertEquals("plain", b.details().get("format"));
        assertEquals("child", b.details().get("job"), "a pdflatex of its own is started by a job child");
        // The job child has namespaces of its own, which the fork servers do not see: it rasterises too.
        assertEquals("namespaces", b.details().get("jail"));
        assertEquals("exec", b.details().get("raster"));
    }

    @Test
    void aPageSizeOnlyPdfinfoCanRead_isLeftToAJobChild() throws Exception {
        // A rotated page: the MediaBox alone does not say what pdftoppm draws, and the worker parent
        // starts no pdfinfo, so the job is done again in a job child.
        RenderResult r = render("\\global\\pdfpageattr{/Rotate 90}\\fill[red] (0,0) rectangle (3,1);");
        assertTrue(r.ok(), r.error());
        assertEquals("child", r.details().get("job"));
        assertEquals("pdfinfo", r.details().get("page_size_from"));
        assertEquals("precompiled", r.details().get("format"), "an isolated job child starts its own pdflatex, with the format");
        assertEquals("namespaces", r.details().get("jail"));
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertTrue(image.getHeight() > 2 * image.getWidth(), "drawn rotated: " + image.getWidth() + "x" + image.getHeight());
        assertEquals(0xff0000, image.getRGB(image.getWidth() / 2, image.getHeight() / 2) & 0xffffff);
    }

    @Test
    void theJobsFileSizeLimit_appliesToTheForkedPdflatex() {
        // The copy is forked from a server with a 256 MiB file-size limit; this job allows 1 MiB and
        // writes 1.5 MiB to a file of its own.
        String code = "\\newwrite\\f\\immediate\\openout\\f=big.txt\\def\\k{" + "x".repeat(1000) + "}"
                + "\\count255=0 \\loop\\immediate\\write\\f{\\k}\\advance\\count255 by 1 \\ifnum\\count255<1600 \\repeat"
                + "\\immediate\\closeout\\f\\fill (0,0) rectangle (1,1);";
        RenderResult r = engine.render(new RenderRequest("tikz", code, FAST.withMaxFileBytes(1L << 20)));
        assertEquals(ErrorKind.OUTPUT_TOO_LARGE, r.errorKind(), r.error());
        RenderResult unlimited = render(code);
        assertTrue(unlimited.ok(), "the same document within the default limit: " + unlimited.error());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pdflatex", "pdftoppm"})
    void aForkServerThatDied_isReplaced_andNoJobIsLost(String program) throws Exception {
        assertTrue(render("\\fill (0,0) circle (1);").ok());
        // The server runs as another user in the sandbox's namespaces: found by its /proc cmdline and
        // killed with kill(1), which ProcessHandle cannot do for it.
        List<Long> servers = ProcessHandle.current().descendants().map(ProcessHandle::pid)
                .filter(pid -> TestEngines.cmdline(pid).contains(program)).toList();
        assertEquals(1, servers.size(), "one " + program + " server between jobs: " + servers);
        long pid = servers.getFirst();
        assertEquals(0, new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor());
        for (int i = 0; i < 50 && TestEngines.cmdline(pid).contains(program); i++) {
            Thread.sleep(20);  // gone once the worker reaped it; a zombie has an empty cmdline
        }
        RenderResult during = render("\\fill[blue] (0,0) circle (1);");
        assertTrue(during.ok(), during.error());
        assertEquals("child", during.details().get("job"), "without the server the job goes to a job child");
        // which, in namespaces of its own, starts its own programs
        assertEquals("precompiled", during.details().get("format"));
        assertEquals("exec", during.details().get("raster"));
        RenderResult after = render("\\fill[green] (0,0) circle (1);");
        assertTrue(after.ok(), after.error());
        assertEquals("parent", after.details().get("job"), "a new server took over: " + after.details());
        assertEquals("forked", after.details().get("format"));
        assertEquals("forked", after.details().get("raster"));
    }

    @Test
    void theForkServerKeepsTheDocumentsBorder_sameImageAsItsOwnPreamble() throws Exception {
        // The format was dumped with border=2pt; a covered document's own border (or standalone's default
        // without the option) must still be what its page gets: compare with the same document compiled
        // with its own preamble (an extra preamble line makes it uncovered).
        for (String options : List.of("[border=10pt]", "", "[border={1pt 6pt}]")) {
            String body = "\\begin{document}\\begin{tikzpicture}\\fill[blue] (0,0) rectangle (1,1);"
                    + "\\end{tikzpicture}\\end{document}\n";
            String head = "\\documentclass" + options + "{standalone}\n\\usepackage{tikz}\n";
            RenderResult forked = render(head + body);
            RenderResult plain = render(head + "\\newcommand\\renderloopplain{}\n" + body);
            assertTrue(forked.ok() && plain.ok(), forked.error() + " / " + plain.error());
            assertEquals("forked", forked.details().get("format"), options);
            assertEquals("plain", plain.details().get("format"), options);
            BufferedImage a = ImageIO.read(forked.lastFrame().toFile());
            BufferedImage b = ImageIO.read(plain.lastFrame().toFile());
            assertEquals(b.getWidth() + "x" + b.getHeight(), a.getWidth() + "x" + a.getHeight(), options);
            for (int y = 0; y < a.getHeight(); y++) {
                for (int x = 0; x < a.getWidth(); x++) {
                    assertEquals(b.getRGB(x, y), a.getRGB(x, y), options + " pixel " + x + "," + y);
                }
            }
        }
    }

    @Test
    void classOptionsOtherThanABorder_compileWithTheirOwnPreamble() {
        RenderResult r = render("\\documentclass[tikz,border=3pt]{standalone}\n\\begin{document}"
                + "\\begin{tikzpicture}\\draw (0,0) -- (1,1);\\end{tikzpicture}\\end{document}\n");
        assertTrue(r.ok(), r.error());
        assertEquals("plain", r.details().get("format"));
    }

    @Test
    void latexError_showsTheFirstErrorWithItsLine() {
        RenderResult r = render("\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}\n"
                + "\\begin{tikzpicture}\n\\drawx (0,0) -- (1,1);\n\\end{tikzpicture}\n\\end{document}\n");
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
        assertTrue(r.error().contains("Undefined control sequence"), r.error());
    }

    @Test
    void aJobsGlobalDefinitions_doNotReachTheNextJob() throws Exception {
        // Both jobs run in copies of the same warm pdflatex: the first one's \gdef and global
        // TikZ style must die with its copy.
        RenderResult first = render("\\documentclass{standalone}\n\\usepackage{tikz}\n\\begin{document}"
                + "\\gdef\\renderloopleak{1}\\tikzset{every path/.style={draw=red, fill=red}}"
                + "\\begin{tikzpicture}\\fill (0,0) rectangle (1,1);\\end{tikzpicture}\\end{document}\n");
        assertTrue(first.ok(), first.error());
        assertEquals("forked", first.details().get("format"));
        RenderResult second = render("\\ifdefined\\renderloopleak\\fill[red] (0,0) rectangle (1,1);"
                + "\\else\\fill[green] (0,0) rectangle (1,1);\\fi\\draw[line width=5pt] (0,0.5) -- (1,0.5);");
        assertTrue(second.ok(), second.error());
        assertEquals("forked", second.details().get("format"));
        BufferedImage image = ImageIO.read(second.lastFrame().toFile());
        assertEquals(0x00ff00, image.getRGB(image.getWidth() / 2, image.getHeight() / 4) & 0xffffff, "\\gdef leaked");
        assertEquals(0x000000, image.getRGB(image.getWidth() / 2, image.getHeight() / 2) & 0xffffff, "a global style leaked");
    }

    @Test
    void afterATimedOutJob_theNextJobIsForkedAgain() {
        assertEquals(ErrorKind.TIMEOUT, render("\\def\\a{\\a}\\a").errorKind());
        RenderResult next = render("\\fill[blue] (0,0) circle (1);");
        assertTrue(next.ok(), next.error());
        assertEquals("forked", next.details().get("format"));
    }

    @Test
    void shellEscape_isDisabled() throws Exception {
        // The document tests for itself whether \write18 ran: green if the file is absent, red if not.
        RenderResult r = render("\\immediate\\write18{touch pwned.txt}"
                + "\\IfFileExists{pwned.txt}{\\fill[red] (0,0) rectangle (1,1);}{\\fill[green] (0,0) rectangle (1,1);}");
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(0x00ff00, image.getRGB(image.getWidth() / 2, image.getHeight() / 2) & 0xffffff, "shell escape ran");
    }

    @Test
    void inputOfAFileOutsideTheJob_isRefused() {
        RenderResult r = render("\\documentclass{standalone}\\begin{document}\\input{/etc/passwd}\\end{document}");
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind(), r.error());
        assertFalse(r.error().contains("root:x:0:0"), r.error());
    }

    @Test
    void infiniteMacroLoop_timesOut() {
        RenderResult r = render("\\def\\a{\\a}\\a");
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
    }

    @Test
    void hugePage_isScaledDownToTheBound() throws Exception {
        RenderResult r = render("\\fill[blue] (0,0) rectangle (500,400);");  // 5 m x 4 m
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertTrue(image.getWidth() <= 2400 && image.getHeight() <= 2400, image.getWidth() + "x" + image.getHeight());
        assertTrue(image.getWidth() >= 2390, "the long side fills the bound: " + image.getWidth());
    }

    @Test
    void emptyDocument_isAnErrorNotAnEmptyImage() {
        RenderResult r = render("\\documentclass{article}\\begin{document}\\end{document}");
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind(), "pdflatex writes no PDF for an empty document: " + r.error());
    }
}
