package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled tikz suite gives the committed targets pixel for pixel both through the warm worker's
 * fastest path (a copy of the fork server with the format's preamble, page size read from the PDF,
 * PNG written by the worker) and through a pdflatex that reads the document's own preamble: the
 * format changes nothing a covered document draws.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TikzSuiteIT {
    RenderEngine engine;

    @BeforeAll
    void start() {
        engine = TestEngines.plain(2);
        assertTrue(engine.availability("tikz").available(), engine.availability("tikz").detail());
    }

    @AfterAll
    void stop() {
        engine.close();
    }

    Stream<BundledSuites.Task> everyTask() {
        return BundledSuites.load("tikz").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyTask")
    void everyTask_matchesItsTarget_forkedAndWithItsOwnPreamble(BundledSuites.Task task) throws IOException {
        RenderResult r = engine.render(new RenderRequest("tikz", task.code(), RenderSettings.TIKZ_DEFAULTS));
        assertTrue(r.ok(), task.id() + ": " + r.error());
        // every suite task is covered (arrows.meta, which the format leaves out, is loaded in the body)
        assertEquals("forked", r.details().get("format"), task.id());
        assertSamePixels(task.id(), target(task.id()), ImageIO.read(r.lastFrame().toFile()));
        // an extra preamble line makes the document uncovered: it is compiled with its own preamble
        String own = task.code().replace("\\begin{document}", "\\newcommand\\renderloopownpreamble{}\n\\begin{document}");
        RenderResult plain = engine.render(new RenderRequest("tikz", own, RenderSettings.TIKZ_DEFAULTS));
        assertTrue(plain.ok(), task.id() + ": " + plain.error());
        assertEquals("plain", plain.details().get("format"), task.id());
        assertSamePixels(task.id() + " (own preamble)", target(task.id()), ImageIO.read(plain.lastFrame().toFile()));
    }

    private static void assertSamePixels(String what, BufferedImage want, BufferedImage got) {
        assertEquals(want.getWidth() + "x" + want.getHeight(), got.getWidth() + "x" + got.getHeight(), what);
        List<Integer> differing = new java.util.ArrayList<>();
        for (int y = 0; y < want.getHeight(); y++) {
            for (int x = 0; x < want.getWidth(); x++) {
                if ((want.getRGB(x, y) & 0xffffff) != (got.getRGB(x, y) & 0xffffff)) {
                    differing.add(y * want.getWidth() + x);
                }
            }
        }
        assertEquals(List.of(), differing.stream().limit(5).toList(), what + ": " + differing.size() + " pixels differ");
    }

    private static BufferedImage target(String id) throws IOException {
        String name = "/dev/renderloop/task/suites/tikz/targets/" + id + ".png";
        try (InputStream in = Objects.requireNonNull(TikzSuiteIT.class.getResourceAsStream(name), name + " missing")) {
            return ImageIO.read(in);
        }
    }
}
