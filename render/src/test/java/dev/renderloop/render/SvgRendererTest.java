package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.weisj.jsvg.SVGDocument;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** SVG rendering: pixels of known shapes, error kinds, and every hostile-document case. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SvgRendererTest {
    private static final int RED = 0xFF0000;
    private static final int WHITE = 0xFFFFFF;
    private static final String NS = "xmlns=\"http://www.w3.org/2000/svg\"";

    private final SvgRenderer renderer = new SvgRenderer();

    @TempDir
    Path dir;

    /** Counts every connection made to it: external references must never reach it. */
    private ServerSocket trap;
    private final AtomicInteger connections = new AtomicInteger();
    private Thread acceptor;

    @BeforeAll
    void openTrap() throws IOException {
        trap = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!trap.isClosed()) {
                try {
                    Socket s = trap.accept();
                    connections.incrementAndGet();
                    s.close();
                } catch (IOException e) {
                    return;  // closed
                }
            }
        }, "svg-test-trap");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterAll
    void closeAll() throws Exception {
        trap.close();
        acceptor.join(2000);
        renderer.close();
    }

    private String trapUrl(String path) {
        return "http://127.0.0.1:" + trap.getLocalPort() + "/" + path;
    }

    private int dirs;

    private RenderResult render(String svg) throws IOException {
        return render(svg, RenderSettings.SVG_DEFAULTS);
    }

    private RenderResult render(String svg, RenderSettings settings) throws IOException {
        Path out = Files.createDirectories(dir.resolve("r" + dirs++));
        return renderer.render(new RenderRequest("svg", svg, settings), out);
    }

    private static BufferedImage image(RenderResult r) throws IOException {
        assertTrue(r.ok(), r.errorKind() + ": " + r.error());
        return ImageIO.read(r.lastFrame().toFile());
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    private static boolean allWhite(BufferedImage image) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (rgb(image, x, y) != WHITE) {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- pixels --------------------------------------------------------------------------------

    @Test
    void render_redRectOverTheLeftHalf_isRedLeftAndWhiteRight() throws IOException {
        RenderResult r = render("<svg " + NS + " viewBox=\"0 0 336 336\">"
                + "<rect x=\"0\" y=\"0\" width=\"168\" height=\"336\" fill=\"#ff0000\"/></svg>");
        BufferedImage image = image(r);
        assertEquals(336, image.getWidth());
        assertEquals(336, image.getHeight());
        assertEquals(RED, rgb(image, 80, 168));
        assertEquals(WHITE, rgb(image, 250, 168));
        assertEquals(r.lastFrame(), r.media());
        assertTrue(r.lastFrame().startsWith(dir) && r.lastFrame().endsWith(Path.of("frames", "frame_00000.png")), r.lastFrame().toString());
        assertEquals(java.util.List.of(r.lastFrame()), r.frames());
    }

    @Test
    void render_wideViewBox_keepsTheAspectRatioCentredOnWhite() throws IOException {
        // 2:1 document fills 336x168 of the square, centred: white bands of 84 px above and below.
        BufferedImage image = image(render("<svg " + NS + " viewBox=\"0 0 200 100\">"
                + "<rect width=\"200\" height=\"100\" fill=\"red\"/></svg>"));
        assertEquals(WHITE, rgb(image, 168, 40));
        assertEquals(WHITE, rgb(image, 168, 300));
        assertEquals(RED, rgb(image, 168, 168));
        assertEquals(RED, rgb(image, 2, 90));
        assertEquals(RED, rgb(image, 333, 245));
        assertEquals(WHITE, rgb(image, 168, 80));
        assertEquals(WHITE, rgb(image, 168, 256));
    }

    @Test
    void render_tallDocumentWithWidthAndHeight_isLetterboxedLeftAndRight() throws IOException {
        BufferedImage image = image(render("<svg " + NS + " width=\"50\" height=\"100\">"
                + "<rect width=\"50\" height=\"100\" fill=\"#0000ff\"/></svg>"));
        assertEquals(WHITE, rgb(image, 40, 168));
        assertEquals(0x0000FF, rgb(image, 168, 168));
        assertEquals(WHITE, rgb(image, 300, 168));
    }

    @Test
    void render_usesTheRequestedSize() throws IOException {
        BufferedImage image = image(render("<svg " + NS + " viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"5\"/></svg>",
                RenderSettings.SVG_DEFAULTS.withSize(120, 80)));
        assertEquals(120, image.getWidth());
        assertEquals(80, image.getHeight());
        assertEquals(0, rgb(image, 60, 40));
        assertEquals(WHITE, rgb(image, 5, 40));
    }

    @Test
    void render_gradientTextAndTransforms_drawSomething() throws IOException {
        BufferedImage image = image(render("<svg " + NS + " viewBox=\"0 0 100 100\">"
                + "<defs><linearGradient id=\"g\"><stop offset=\"0\" stop-color=\"#00f\"/><stop offset=\"1\" stop-color=\"#0f0\"/></linearGradient></defs>"
                + "<g transform=\"rotate(45 50 50)\"><rect x=\"25\" y=\"25\" width=\"50\" height=\"50\" fill=\"url(#g)\"/></g>"
                + "<text x=\"10\" y=\"95\" font-size=\"12\">Hi &amp; &#169;</text></svg>"));
        assertFalse(allWhite(image));
    }

    @Test
    void render_sameDocumentTwice_givesIdenticalBytes() throws IOException {
        String svg = "<svg " + NS + " viewBox=\"0 0 100 100\"><circle cx=\"50\" cy=\"50\" r=\"30\" fill=\"teal\" stroke=\"black\"/></svg>";
        RenderResult a = render(svg);
        RenderResult b = render(svg);
        assertArrayEquals(Files.readAllBytes(a.lastFrame()), Files.readAllBytes(b.lastFrame()));
    }

    @Test
    void render_xmlDeclarationAfterBlankLinesAndSvgDoctype_stillRenders() throws IOException {
        RenderResult r = render("\n\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"" + trapUrl("svg11.dtd") + "\">\n"
                + "<svg " + NS + " viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" fill=\"red\"/></svg>");
        assertEquals(RED, rgb(image(r), 168, 168));
        assertEquals(0, connections.get(), "the external DTD must not be fetched");
    }

    @Test
    void render_byteOrderMarkBeforeTheDocument_isIgnored() throws IOException {
        RenderResult r = render("\uFEFF<?xml version=\"1.0\"?><svg " + NS + " viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\" fill=\"red\"/></svg>");
        assertEquals(RED, rgb(image(r), 168, 168));
    }

    @Test
    void render_embeddedDataPng_isDrawn() throws IOException {
        BufferedImage red = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                red.setRGB(x, y, RED);
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(red, "png", png);
        String href = "data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray());
        BufferedImage image = image(render("<svg " + NS + " viewBox=\"0 0 10 10\"><image href=\"" + href
                + "\" width=\"10\" height=\"10\" preserveAspectRatio=\"none\"/></svg>"));
        assertEquals(RED, rgb(image, 168, 168));
    }

    @Test
    void percentDecoded_followsDataUriRulesNotFormEncoding() {
        assertArrayEquals("aA+b c".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                SvgRenderer.EmbeddedImages.percentDecoded("a%41+b%20c"));
        assertThrows(IllegalArgumentException.class, () -> SvgRenderer.EmbeddedImages.percentDecoded("a%4"));
        assertThrows(IllegalArgumentException.class, () -> SvgRenderer.EmbeddedImages.percentDecoded("a%zz"));
    }

    // ---- error kinds ---------------------------------------------------------------------------

    @Test
    void render_malformedXml_isASyntaxErrorWithItsLocation() throws IOException {
        RenderResult r = render("<svg " + NS + ">\n  <rect width=\"10\">\n</svg>");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind(), r.error());
        assertTrue(r.error().contains("line 3"), r.error());
        assertTrue(r.frames().isEmpty());
        assertNull(r.lastFrame());
    }

    @Test
    void render_notXmlAtAll_isASyntaxError() throws IOException {
        assertEquals(ErrorKind.SYNTAX_ERROR, render("draw a red circle please").errorKind());
    }

    @Test
    void render_xmlThatIsNotSvg_isNoScene() throws IOException {
        RenderResult r = render("<html><body><p>hello</p></body></html>");
        assertEquals(ErrorKind.NO_SCENE, r.errorKind());
        assertTrue(r.error().contains("<html>"), r.error());
        assertEquals(ErrorKind.NO_SCENE, render("<svg xmlns=\"http://example.com/not-svg\"/>").errorKind());
    }

    @Test
    void render_svgThatDrawsNothing_isNoScene() throws IOException {
        assertEquals(ErrorKind.NO_SCENE, render("<svg " + NS + " width=\"10\" height=\"10\"/>").errorKind());
        assertEquals(ErrorKind.NO_SCENE, render("<svg " + NS + " viewBox=\"0 0 10 10\"><defs><rect id=\"r\" width=\"5\" height=\"5\"/></defs></svg>").errorKind());
        assertEquals(ErrorKind.NO_SCENE, render("<svg " + NS + " width=\"0\" height=\"0\"><rect width=\"5\" height=\"5\"/></svg>").errorKind());
    }

    @Test
    void render_documentOverOneMebibyte_isBadInput() throws IOException {
        String svg = "<svg " + NS + "><!--" + "x".repeat(SvgRenderer.MAX_DOCUMENT_BYTES) + "--></svg>";
        RenderResult r = render(svg);
        assertEquals(ErrorKind.BAD_INPUT, r.errorKind());
        assertTrue(r.error().contains("limit"), r.error());
    }

    @Test
    void render_blankCode_isNoCode() throws IOException {
        assertEquals(ErrorKind.NO_CODE, render("  \n").errorKind());
    }

    @Test
    void render_requestForAnotherDomain_isRejectedEagerly() {
        assertThrows(IllegalArgumentException.class, () -> renderer.render(
                new RenderRequest("smiles", "CCO", RenderSettings.SVG_DEFAULTS), dir));
    }

    @Test
    void versionAndAvailability_nameTheJsvgVersion() {
        assertEquals(SVGDocument.class.getPackage().getImplementationVersion(), SvgRenderer.JSVG_BUILT_AGAINST,
                "the fallback version constant must match the JSVG jar on the class path (render/pom.xml)");
        assertEquals(SvgRenderer.JSVG_BUILT_AGAINST, SvgRenderer.JSVG_VERSION);
        assertTrue(renderer.availability().available());
        assertTrue(renderer.availability().detail().contains(SvgRenderer.JSVG_VERSION));
        assertTrue(renderer.version().contains("jsvg:" + SvgRenderer.JSVG_VERSION));
        assertTrue(renderer.version().contains("svg-renderer:" + SvgRenderer.REVISION));
        assertTrue(renderer.version().contains("java:" + Runtime.version()));
    }

    // ---- hostile documents ---------------------------------------------------------------------

    @Test
    void render_externalEntity_isRefusedAndTheFileNeverAppears() throws IOException {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET-CONTENT");
        for (String use : new String[] {"<text x=\"1\" y=\"20\">&x;</text>", "<rect width=\"10\" height=\"10\" fill=\"&x;\"/>"}) {
            RenderResult r = render("<?xml version=\"1.0\"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM \"" + secret.toUri() + "\">]>\n"
                    + "<svg " + NS + " viewBox=\"0 0 100 100\">" + use + "</svg>");
            assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind(), r.error());
            assertFalse(r.error().contains("TOP-SECRET"), r.error());
            assertTrue(r.frames().isEmpty());
        }
        RenderResult passwd = render("<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<svg " + NS + "><text y=\"20\">&x;</text></svg>");
        assertEquals(ErrorKind.SYNTAX_ERROR, passwd.errorKind());
        assertFalse(passwd.error().contains("root:"), passwd.error());
    }

    @Test
    void render_externalEntityUsedWithoutDeclaration_isASyntaxErrorNotAnEmptyText() throws IOException {
        RenderResult r = render("<svg " + NS + "><text y=\"20\">&nbsp;</text></svg>");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind());
        assertTrue(r.error().contains("&nbsp;"), r.error());
    }

    @Test
    void render_parameterEntityAndExternalDtd_areNeverFetched() throws IOException {
        RenderResult r = render("<!DOCTYPE svg [<!ENTITY % remote SYSTEM \"" + trapUrl("evil.dtd") + "\"> %remote;]>"
                + "<svg " + NS + "><rect width=\"5\" height=\"5\"/></svg>");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind(), r.error());
        RenderResult system = render("<!DOCTYPE svg SYSTEM \"" + trapUrl("external.dtd") + "\">"
                + "<svg " + NS + "><rect width=\"5\" height=\"5\"/></svg>");
        assertTrue(system.ok(), system.error());
        assertEquals(0, connections.get(), "no DTD may be fetched");
    }

    @Test
    void render_billionLaughs_failsFastWithAClassifiedError() throws IOException {
        StringBuilder dtd = new StringBuilder("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i <= 9; i++) {
            String previous = i == 1 ? "lol" : "lol" + (i - 1);
            dtd.append("<!ENTITY lol").append(i).append(" \"").append(("&" + previous + ";").repeat(10)).append("\">");
        }
        dtd.append("]>");
        long start = System.nanoTime();
        RenderResult r = render(dtd + "<svg " + NS + "><text y=\"20\">&lol9;</text></svg>");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind(), r.error());
        assertTrue(millis < 2000, "took " + millis + " ms");
        // Referenced from an attribute the same way.
        assertEquals(ErrorKind.SYNTAX_ERROR, render(dtd + "<svg " + NS + "><rect fill=\"&lol9;\"/></svg>").errorKind());
    }

    @Test
    void render_externalHrefs_areNeitherFetchedNorRead() throws Exception {
        // A FIFO proves no read attempt: opening it for reading would let the writer below through.
        Path fifo = dir.resolve("image.png");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo is needed for this test");
        Path svgFifo = dir.resolve("other.svg");
        assertEquals(0, new ProcessBuilder("mkfifo", svgFifo.toString()).start().waitFor());
        AtomicBoolean opened = new AtomicBoolean();
        CountDownLatch writersStarted = new CountDownLatch(2);
        for (Path p : new Path[] {fifo, svgFifo}) {
            Thread writer = new Thread(() -> {
                writersStarted.countDown();
                try {
                    OutputStream o = Files.newOutputStream(p);  // blocks until a reader opens the FIFO
                    opened.set(true);
                    o.close();
                } catch (IOException ignored) {
                    // the test's own clean-up
                }
            });
            writer.setDaemon(true);
            writer.start();
        }
        writersStarted.await();

        String[] documents = {
            "<image href=\"" + trapUrl("a.png") + "\" width=\"10\" height=\"10\"/>",
            "<image href=\"" + trapUrl("b.svg") + "\" width=\"10\" height=\"10\"/>",
            "<image xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"" + trapUrl("c.png") + "\" width=\"10\" height=\"10\"/>",
            "<image href=\"" + fifo.toUri() + "\" width=\"10\" height=\"10\"/>",
            "<image href=\"" + svgFifo.toUri() + "\" width=\"10\" height=\"10\"/>",
            "<image href=\"image.png\" width=\"10\" height=\"10\"/>",
            "<use href=\"other.svg#x\"/>",
            "<use href=\"" + svgFifo.toUri() + "#x\"/>",
            "<use href=\"" + trapUrl("d.svg") + "#x\"/>",
        };
        for (String element : documents) {
            // A visible marker so each document draws something and renders.
            RenderResult r = render("<svg " + NS + " viewBox=\"0 0 100 100\">" + element
                    + "<rect x=\"90\" y=\"90\" width=\"10\" height=\"10\" fill=\"red\"/></svg>");
            assertTrue(r.ok(), element + ": " + r.error());
            BufferedImage image = image(r);
            assertEquals(WHITE, rgb(image, 10, 10), element + " must draw nothing in its place");
        }
        // References that could only fetch, not draw, in place: a missing paint server paints JSVG's
        // default (black), so only the absence of a connection is checked for them.
        for (String element : new String[] {
            "<rect width=\"10\" height=\"10\" fill=\"url(" + trapUrl("e.svg") + "#g)\"/>",
            "<style>@import url(" + trapUrl("f.css") + ");</style><rect width=\"10\" height=\"10\"/>",
            "<?xml-stylesheet href=\"" + trapUrl("g.css") + "\"?><rect width=\"10\" height=\"10\"/>",
        }) {
            RenderResult r = render("<svg " + NS + " viewBox=\"0 0 100 100\">" + element + "</svg>");
            assertTrue(r.ok(), element + ": " + r.error());
        }
        Thread.sleep(200);  // let a (wrongly) started connection or FIFO open be seen
        assertEquals(0, connections.get(), "no external reference may open a connection");
        assertFalse(opened.get(), "no external reference may open a file");
        // Release the writers.
        for (Path p : new Path[] {fifo, svgFifo}) {
            try (InputStream in = Files.newInputStream(p)) {
                in.readAllBytes();
            }
        }
    }

    @Test
    void render_enormousDimensions_renderAtTheFixedSizeQuickly() throws IOException {
        long start = System.nanoTime();
        RenderResult big = render("<svg " + NS + " width=\"1000000000\" height=\"1000000000\" viewBox=\"0 0 1e9 1e9\">"
                + "<rect width=\"5e8\" height=\"1e9\" fill=\"red\"/></svg>");
        BufferedImage image = image(big);
        assertEquals(336, image.getWidth());
        assertEquals(RED, rgb(image, 80, 168));
        assertEquals(WHITE, rgb(image, 250, 168));
        RenderResult noViewBox = render("<svg " + NS + " width=\"99999999999\" height=\"99999999999\"><rect width=\"1e11\" height=\"1e11\"/></svg>");
        assertEquals(0, rgb(image(noViewBox), 168, 168));
        RenderResult infinite = render("<svg " + NS + " width=\"1e39\" height=\"1e39\"><rect width=\"1\" height=\"1\"/></svg>");
        assertEquals(ErrorKind.NO_SCENE, infinite.errorKind(), infinite.error());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 5000, "took " + millis + " ms");
    }

    @Test
    void render_patternTileTooLargeToAllocate_isAMemoryLimit() throws IOException {
        RenderResult r = render("<svg " + NS + " viewBox=\"0 0 100 100\"><defs><pattern id=\"p\" width=\"1000000\" "
                + "height=\"1000000\" patternUnits=\"userSpaceOnUse\"><rect width=\"5\" height=\"5\"/></pattern></defs>"
                + "<rect width=\"100\" height=\"100\" fill=\"url(#p)\"/></svg>");
        assertEquals(ErrorKind.MEMORY_LIMIT, r.errorKind(), r.error());
        assertTrue(r.error().contains("too large"), r.error());
    }

    @Test
    void render_embeddedImageBomb_isRefusedBeforeDecoding() throws IOException {
        // A valid 1x1 PNG whose header claims 100000 x 100000 pixels (40 GB decoded).
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", png);
        byte[] bytes = png.toByteArray();
        ByteBuffer.wrap(bytes, 16, 8).putInt(100_000).putInt(100_000);  // IHDR width, height
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 17);  // chunk type + data
        ByteBuffer.wrap(bytes, 29, 4).putInt((int) crc.getValue());
        String href = "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes);
        RenderResult r = render("<svg " + NS + " viewBox=\"0 0 10 10\"><image href=\"" + href + "\" width=\"10\" height=\"10\"/></svg>");
        assertEquals(ErrorKind.BAD_INPUT, r.errorKind(), r.error());
        assertTrue(r.error().contains("100000x100000"), r.error());
    }

    @Test
    void render_deeplyNestedGroups_areRefusedBeyondTheLimit() throws IOException {
        for (int groups : new int[] {SvgXml.MAX_DEPTH, 5000}) {
            String svg = "<svg " + NS + ">" + "<g>".repeat(groups) + "<rect width=\"5\" height=\"5\"/>" + "</g>".repeat(groups) + "</svg>";
            RenderResult r = render(svg);
            assertEquals(ErrorKind.BAD_INPUT, r.errorKind(), r.error());
            assertTrue(r.error().contains("nested more than " + SvgXml.MAX_DEPTH), r.error());
        }
        int fits = SvgXml.MAX_DEPTH - 2;  // <svg>, the groups and the <rect>
        String svg = "<svg " + NS + ">" + "<g>".repeat(fits) + "<rect width=\"5\" height=\"5\"/>" + "</g>".repeat(fits) + "</svg>";
        RenderResult ok = render(svg);
        assertTrue(ok.ok(), ok.error());
    }

    @Test
    void render_cyclicUseReferences_areAClassifiedResult() throws IOException {
        RenderResult r = render("<svg " + NS + " viewBox=\"0 0 10 10\"><defs><g id=\"a\"><use href=\"#b\"/></g>"
                + "<g id=\"b\"><use href=\"#a\"/></g></defs><use href=\"#a\"/><rect width=\"2\" height=\"2\"/></svg>");
        assertTrue(r.ok() || r.errorKind() == ErrorKind.RUNTIME_ERROR || r.errorKind() == ErrorKind.NO_SCENE,
                r.errorKind() + ": " + r.error());
    }

    @Test
    void render_exponentialUseFanOut_isBoundedByJsvgsLimits() throws IOException {
        // Each level uses the previous twice: 2^30 instances if nothing bounded it.
        StringBuilder svg = new StringBuilder("<svg " + NS + " viewBox=\"0 0 100 100\"><defs><rect id=\"a0\" width=\"1\" height=\"1\"/>");
        for (int i = 1; i <= 30; i++) {
            svg.append("<g id=\"a").append(i).append("\"><use href=\"#a").append(i - 1).append("\"/><use href=\"#a")
                    .append(i - 1).append("\" x=\"1\"/></g>");
        }
        svg.append("</defs><use href=\"#a30\"/></svg>");
        long start = System.nanoTime();
        RenderResult r = render(svg.toString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertFalse(r.ok());
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind(), r.error());
        assertTrue(r.error().startsWith("JSVG could not load the document: "), r.error());
        assertTrue(millis < 5000, "took " + millis + " ms");
    }

    @Test
    void render_refusedReferences_areExplainedInTheLog() throws IOException {
        RenderResult r = render("<svg " + NS + " viewBox=\"0 0 10 10\"><image href=\"" + trapUrl("x.png")
                + "\" width=\"5\" height=\"5\"/><rect width=\"2\" height=\"2\"/></svg>");
        assertTrue(r.ok(), r.error());
        assertTrue(r.log().contains("Rejected URI"), r.log());
    }

    // ---- time bound ----------------------------------------------------------------------------

    /** Two thousand blurred, overlapping shapes: about a second or more of drawing. */
    static String slowDocument() {
        StringBuilder svg = new StringBuilder("<svg " + NS + " viewBox=\"0 0 100 100\"><defs><filter id=\"b\">"
                + "<feGaussianBlur stdDeviation=\"4\"/></filter></defs>");
        for (int i = 0; i < 2000; i++) {
            svg.append("<circle cx=\"").append(i % 100).append("\" cy=\"").append(i / 20)
                    .append("\" r=\"40\" fill=\"#").append(String.format("%06x", i * 2654435 & 0xFFFFFF))
                    .append("\" filter=\"url(#b)\"/>");
        }
        return svg.append("</svg>").toString();
    }

    @Test
    void render_pastItsTimeout_isATimeoutAndTheAbandonedThreadStops() throws Exception {
        long start = System.nanoTime();
        RenderResult r = render(slowDocument(), RenderSettings.SVG_DEFAULTS.withTimeout(Duration.ofMillis(100)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
        assertTrue(r.error().contains("100 ms"), r.error());
        assertTrue(millis < 1500, "the caller must return at the timeout, took " + millis + " ms");
        assertTrue(r.frames().isEmpty());
        assertFalse(ErrorKind.TIMEOUT.deterministic(), "timeouts are not cached");
        // The abandoned drawing sees its deadline at its next shape and ends; its thread goes idle.
        // A single idle sample can catch the thread between two drawing calls: require ten in a row.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int idleSamples = 0;
        while (idleSamples < 10 && System.nanoTime() < until) {
            idleSamples = busyRenderThreads() == 0 ? idleSamples + 1 : 0;
            Thread.sleep(20);
        }
        assertEquals(10, idleSamples, () -> "an abandoned render kept running: " + busyStacks());
        // And the renderer still works.
        assertTrue(render("<svg " + NS + "><rect width=\"5\" height=\"5\"/></svg>").ok());
    }

    private static String busyStacks() {
        StringBuilder b = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("svg-render-") && t.getState() == Thread.State.RUNNABLE) {
                b.append(t.getName()).append('\n');
                for (StackTraceElement f : stack) {
                    b.append("  at ").append(f).append('\n');
                }
            }
        });
        return b.toString();
    }

    private static long busyRenderThreads() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("svg-render-"))
                .filter(e -> e.getKey().getState() == Thread.State.RUNNABLE)
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("com.github.weisj")))
                .count();
    }

    @Test
    void renderThreads_areDaemons() throws IOException {
        render("<svg " + NS + "><rect width=\"5\" height=\"5\"/></svg>");
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("svg-render-"))
                .allMatch(Thread::isDaemon));
    }

    @Test
    void render_afterClose_isUnavailable() throws IOException {
        SvgRenderer closed = new SvgRenderer();
        closed.close();
        closed.close();  // idempotent
        RenderResult r = closed.render(new RenderRequest("svg", "<svg " + NS + "/>", RenderSettings.SVG_DEFAULTS),
                Files.createDirectories(dir.resolve("closed")));
        assertEquals(ErrorKind.RENDERER_UNAVAILABLE, r.errorKind());
    }

    @Test
    void render_colourNamesAndOpacity_blendOnWhite() throws IOException {
        BufferedImage image = image(render("<svg " + NS + " viewBox=\"0 0 10 10\">"
                + "<rect width=\"10\" height=\"10\" fill=\"black\" fill-opacity=\"0.5\"/></svg>"));
        Color c = new Color(rgb(image, 168, 168));
        assertTrue(Math.abs(c.getRed() - 128) <= 2 && c.getRed() == c.getGreen() && c.getGreen() == c.getBlue(), c.toString());
    }
}
