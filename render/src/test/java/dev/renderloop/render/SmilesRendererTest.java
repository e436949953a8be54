package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** SMILES depiction: pixel sanity, determinism, error kinds and limits. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmilesRendererTest {
    static final String ASPIRIN = "CC(=O)OC1=CC=CC=C1C(=O)O";
    static final String C60 = "C12=C3C4=C5C6=C1C7=C8C9=C1C%10=C%11C(=C29)C2=C3C3=C4C4=C5C5=C9C6=C7C6=C7C8=C1C1=C8C%10="
            + "C%10C%11=C2C2=C3C3=C4C4=C5C5=C%11C%12=C(C6=C95)C7=C1C1=C%12C5=C%11C4=C3C3=C5C(=C81)C%10=C23";

    private final SmilesRenderer renderer = new SmilesRenderer();
    private int dirs;

    @TempDir
    Path dir;

    @AfterAll
    void close() {
        renderer.close();
    }

    private RenderResult render(String smiles) throws IOException {
        return render(smiles, RenderSettings.MOLECULE_DEFAULTS);
    }

    private RenderResult render(String smiles, RenderSettings settings) throws IOException {
        Path out = Files.createDirectories(dir.resolve("r" + dirs++));
        return renderer.render(new RenderRequest("smiles", smiles, settings), out);
    }

    private static BufferedImage image(RenderResult r) throws IOException {
        assertTrue(r.ok(), r.errorKind() + ": " + r.error());
        return ImageIO.read(r.lastFrame().toFile());
    }

    /** Counts pixels matching a predicate on their colour. */
    private static int count(BufferedImage image, java.util.function.IntPredicate rgb) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (rgb.test(image.getRGB(x, y) & 0xFFFFFF)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean dark(int rgb) {
        Color c = new Color(rgb);
        return c.getRed() < 80 && c.getGreen() < 80 && c.getBlue() < 80;
    }

    private static boolean reddish(int rgb) {
        Color c = new Color(rgb);
        return c.getRed() > 150 && c.getGreen() < 90 && c.getBlue() < 90;
    }

    @Test
    void render_aspirin_isA400SquareOnWhiteWithBlackBondsAndRedOxygens() throws IOException {
        RenderResult r = render(ASPIRIN);
        BufferedImage image = image(r);
        assertEquals(400, image.getWidth());
        assertEquals(400, image.getHeight());
        assertEquals(0xFFFFFF, image.getRGB(0, 0) & 0xFFFFFF, "white background");
        assertEquals(0xFFFFFF, image.getRGB(399, 399) & 0xFFFFFF);
        int white = count(image, c -> c == 0xFFFFFF);
        assertTrue(white < 400 * 400 && white > 400 * 400 / 2, "mostly white, not all: " + white);
        assertTrue(count(image, SmilesRendererTest::dark) > 200, "carbon skeleton drawn in black");
        assertTrue(count(image, SmilesRendererTest::reddish) > 20, "oxygen labels in CPK red");
        assertEquals(r.lastFrame(), r.media());
        assertTrue(r.lastFrame().endsWith(Path.of("frames", "frame_00000.png")));
    }

    @Test
    void render_depictionIsCentred() throws IOException {
        BufferedImage image = image(render("c1ccccc1"));
        int minX = 400;
        int maxX = 0;
        int minY = 400;
        int maxY = 0;
        for (int y = 0; y < 400; y++) {
            for (int x = 0; x < 400; x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    minY = Math.min(minY, y);
                    maxY = Math.max(maxY, y);
                }
            }
        }
        assertTrue(Math.abs((minX + maxX) / 2 - 200) <= 6, "x centre " + (minX + maxX) / 2);
        assertTrue(Math.abs((minY + maxY) / 2 - 200) <= 6, "y centre " + (minY + maxY) / 2);
    }

    @Test
    void render_sameSmilesTwice_givesIdenticalBytes() throws IOException {
        RenderResult a = render("CN1C=NC2=C1C(=O)N(C(=O)N2C)C");
        RenderResult b = render("CN1C=NC2=C1C(=O)N(C(=O)N2C)C");
        assertArrayEquals(Files.readAllBytes(a.lastFrame()), Files.readAllBytes(b.lastFrame()));
    }

    @Test
    void render_requestedSize_isExact() throws IOException {
        BufferedImage image = image(render("CCO", RenderSettings.MOLECULE_DEFAULTS.withSize(300, 150)));
        assertEquals(300, image.getWidth());
        assertEquals(150, image.getHeight());
    }

    @Test
    void render_surroundingWhitespace_isIgnored() throws IOException {
        RenderResult a = render("CCO");
        RenderResult b = render("\n  CCO  \n");
        assertArrayEquals(Files.readAllBytes(a.lastFrame()), Files.readAllBytes(b.lastFrame()));
    }

    @Test
    void render_invalidSmiles_isASyntaxErrorWithCdksMessage() throws IOException {
        RenderResult r = render("C1CC");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind());
        assertTrue(r.error().contains("Unclosed ring"), r.error());
        assertTrue(r.error().contains("^"), "CDK points at the character: " + r.error());
        assertTrue(r.frames().isEmpty());
        assertEquals(ErrorKind.SYNTAX_ERROR, render("c1cccc1").errorKind());
        assertEquals(ErrorKind.SYNTAX_ERROR, render("CC>>CO").errorKind());
        assertEquals(ErrorKind.SYNTAX_ERROR, render("not a molecule").errorKind());
    }

    @Test
    void render_severalLines_isASyntaxError() throws IOException {
        RenderResult r = render("CCO\nCCN");
        assertEquals(ErrorKind.SYNTAX_ERROR, r.errorKind());
        assertTrue(r.error().contains("single line"), r.error());
    }

    @Test
    void render_blank_isNoCode() throws IOException {
        assertEquals(ErrorKind.NO_CODE, render(" \n ").errorKind());
    }

    @Test
    void render_overTheSizeCaps_isBadInput() throws IOException {
        assertEquals(ErrorKind.BAD_INPUT, render("C".repeat(SmilesRenderer.MAX_INPUT_BYTES + 1)).errorKind());
        RenderResult atoms = render("C".repeat(SmilesRenderer.MAX_ATOMS + 1));
        assertEquals(ErrorKind.BAD_INPUT, atoms.errorKind());
        assertTrue(atoms.error().contains("atoms"), atoms.error());
    }

    @Test
    void render_pastItsTimeout_isATimeout() throws IOException {
        long start = System.nanoTime();
        RenderResult r = render(C60, RenderSettings.MOLECULE_DEFAULTS.withTimeout(Duration.ofMillis(1)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ErrorKind.TIMEOUT, r.errorKind(), r.error());
        assertTrue(millis < 1000, "the caller returns at the timeout, took " + millis + " ms");
        assertTrue(r.frames().isEmpty());
        assertTrue(render("CCO").ok(), "the renderer still works");
    }

    @Test
    void render_requestForAnotherDomain_isRejectedEagerly() {
        assertThrows(IllegalArgumentException.class, () -> renderer.render(
                new RenderRequest("svg", "CCO", RenderSettings.MOLECULE_DEFAULTS), dir));
    }

    @Test
    void versionAndAvailability_nameTheCdkVersion() {
        String cdk = Molecules.cdkVersion();
        assertFalse(cdk.isBlank());
        assertTrue(renderer.availability().available());
        assertTrue(renderer.availability().detail().contains(cdk));
        assertTrue(renderer.version().contains("cdk:" + cdk));
        assertTrue(renderer.version().contains("smiles-renderer:" + SmilesRenderer.REVISION));
        assertEquals(org.openscience.cdk.CDK.getVersion(), Molecules.CDK_BUILT_AGAINST,
                "the fallback version constant must match the CDK jars on the class path (render/pom.xml)");
    }

    @Test
    void render_chargedDisconnectedAndStereo_allDepict() throws IOException {
        for (String smiles : new String[] {"[Na+].[Cl-]", "C[C@H](N)C(=O)O", "F/C=C/F", "[2H]C([2H])([2H])O", "C1CC2CCC1CC2"}) {
            RenderResult r = render(smiles);
            assertTrue(r.ok(), smiles + ": " + r.error());
        }
    }
}
