package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RDKit drawing programs: every way of drawing is redirected, the drawn molecule is reported. */
class RdkitRendererIT {
    static RenderEngine engine;

    @BeforeAll
    static void start() {
        engine = TestEngines.plain(1);
        assertTrue(engine.availability("rdkit").available(), engine.availability("rdkit").detail());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static RenderResult render(String code) {
        return engine.render(RenderRequest.of("rdkit", code));
    }

    static long nonWhitePixels(Path png) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void molToFile_isRedirected_andTheMoleculeIsDrawnAtTheFixedSize() throws Exception {
        RenderResult r = render(String.join("\n",
                "from rdkit import Chem",
                "from rdkit.Chem import Draw",
                "mol = Chem.MolFromSmiles('Cn1cnc2c1c(=O)n(C)c(=O)n2C')",
                "Draw.MolToFile(mol, '/etc/caffeine.png', size=(900, 100))"));
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(400, image.getWidth());
        assertEquals(400, image.getHeight());
        assertTrue(nonWhitePixels(r.lastFrame()) > 1000, "a molecule is drawn");
        assertEquals("Cn1c(=O)c2c(ncn2C)n(C)c1=O", r.details().get("smiles"), "canonical SMILES of the drawn molecule");
        assertFalse(Files.exists(Path.of("/etc/caffeine.png")));
    }

    @Test
    void drawingTextWrittenByMolDraw2DCairo_isPickedUpFromTheWorkingDirectory() throws Exception {
        RenderResult r = render(String.join("\n",
                "from rdkit import Chem",
                "from rdkit.Chem.Draw import rdMolDraw2D",
                "d = rdMolDraw2D.MolDraw2DCairo(300, 200)",
                "d.DrawMolecule(Chem.MolFromSmiles('c1ccccc1C(=O)O'))",
                "d.FinishDrawing()",
                "d.WriteDrawingText('benzoic.png')"));
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(400, image.getWidth(), "fitted to the fixed size on white");
        assertEquals(0xffffff, image.getRGB(2, 2) & 0xffffff, "letterbox is white");
        assertTrue(nonWhitePixels(r.lastFrame()) > 500);
    }

    @Test
    void invalidSmiles_inTheProgram_isARuntimeErrorNamingTheCause() {
        RenderResult r = render(String.join("\n",
                "from rdkit import Chem",
                "from rdkit.Chem import Draw",
                "mol = Chem.MolFromSmiles('C1CC(')",
                "Draw.MolToImage(mol).save('x.png')"));
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind(), r.error());
        assertTrue(r.error().contains("File \"scene.py\", line 4"), r.error());
    }

    @Test
    void noDrawing_isNoScene() {
        RenderResult r = render("from rdkit import Chem\nprint(Chem.MolToSmiles(Chem.MolFromSmiles('OCC')))\n");
        assertEquals(ErrorKind.NO_SCENE, r.errorKind());
        assertTrue(r.error().contains("drew no molecule"), r.error());
        assertTrue(r.log().contains("CCO"), "the program's output is kept in the log: " + r.log());
    }

    @Test
    void details_surviveTheCache(@org.junit.jupiter.api.io.TempDir Path cache) {
        try (RenderEngine cached = RenderEngine.builder().cacheDir(cache).workers(1).build()) {
            String code = "from rdkit import Chem\nfrom rdkit.Chem import Draw\nDraw.MolToImage(Chem.MolFromSmiles('OCC'))\n";
            RenderResult first = cached.render(RenderRequest.of("rdkit", code));
            RenderResult hit = cached.render(RenderRequest.of("rdkit", code));
            assertTrue(hit.cached());
            assertEquals("CCO", first.details().get("smiles"));
            assertEquals(first.details(), hit.details());
        }
    }
}
