package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled example suites are well-formed and every reference renders. */
class BundledSuitesTest {
    @TempDir
    Path dir;

    @Test
    void svgSuite_everyReferenceRendersToADistinctImage() throws Exception {
        checkSuite("svg", SvgRenderer::new);
    }

    @Test
    void smilesSuite_everyReferenceRendersAndIsADistinctValidMolecule() throws Exception {
        List<BundledSuites.Task> tasks = checkSuite("smiles", SmilesRenderer::new);
        Set<String> canonical = new HashSet<>();
        for (BundledSuites.Task t : tasks) {
            MoleculeInfo info = Molecules.parse(t.code());
            assertTrue(info.valid(), t.id() + ": " + info.error());
            assertTrue(canonical.add(info.canonicalSmiles()), t.id() + " repeats another task's molecule");
            assertTrue(t.description().startsWith("Draw the molecule of "), t.id());
        }
    }

    private List<BundledSuites.Task> checkSuite(String domain, Supplier<Renderer> newRenderer) throws Exception {
        List<BundledSuites.Task> tasks = BundledSuites.load(domain);
        assertTrue(tasks.size() >= 20, domain + " suite has " + tasks.size() + " tasks; at least 20 expected");
        Set<String> ids = new HashSet<>();
        Set<Integer> images = new HashSet<>();
        try (Renderer renderer = newRenderer.get()) {
            for (BundledSuites.Task t : tasks) {
                assertEquals(Set.of("id", "domain", "description", "code"), fieldNames(t), t.id());
                assertTrue(t.id().matches(domain + "-\\d{3}"), t.id());
                assertTrue(ids.add(t.id()), "duplicate id " + t.id());
                assertEquals(domain, t.domain(), t.id());
                assertFalse(t.description().isBlank(), t.id());
                assertFalse(t.code().isBlank(), t.id());

                Path out = Files.createDirectories(dir.resolve(t.id()));
                RenderResult r = renderer.render(new RenderRequest(domain, t.code(), RenderSettings.defaultsFor(domain)), out);
                assertTrue(r.ok(), t.id() + ": " + r.errorKind() + " " + r.error());
                BufferedImage image = ImageIO.read(r.lastFrame().toFile());
                int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
                assertTrue(Arrays.stream(pixels).anyMatch(p -> (p & 0xFFFFFF) != 0xFFFFFF), t.id() + " renders all white");
                assertTrue(images.add(Arrays.hashCode(pixels)), t.id() + " looks exactly like another task");
            }
        }
        return tasks;
    }

    private static Set<String> fieldNames(BundledSuites.Task t) {
        Set<String> names = new HashSet<>();
        t.raw().fieldNames().forEachRemaining(names::add);
        return names;
    }
}
