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
 * The bundled tikz suite through the warm worker's fastest path (a copy of the fork server, page
 * size read from the PDF, PNG written by the worker) gives the committed targets pixel for pixel:
 * they were rendered by the earlier path (a pdflatex per job, pdfinfo, Pillow's PNG encoder).
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
    void everyTask_matchesItsTarget(BundledSuites.Task task) throws IOException {
        RenderResult r = engine.render(new RenderRequest("tikz", task.code(), RenderSettings.TIKZ_DEFAULTS));
        assertTrue(r.ok(), task.id() + ": " + r.error());
        assertEquals("forked", r.details().get("format"), task.id());
        assertEquals("pdf", r.details().get("page_size_from"), task.id());
        BufferedImage got = ImageIO.read(r.lastFrame().toFile());
        BufferedImage want = target(task.id());
        assertEquals(want.getWidth() + "x" + want.getHeight(), got.getWidth() + "x" + got.getHeight(), task.id());
        List<Integer> differing = new java.util.ArrayList<>();
        for (int y = 0; y < want.getHeight(); y++) {
            for (int x = 0; x < want.getWidth(); x++) {
                if ((want.getRGB(x, y) & 0xffffff) != (got.getRGB(x, y) & 0xffffff)) {
                    differing.add(y * want.getWidth() + x);
                }
            }
        }
        assertEquals(List.of(), differing.stream().limit(5).toList(), task.id() + ": " + differing.size() + " pixels differ");
    }

    private static BufferedImage target(String id) throws IOException {
        String name = "/dev/renderloop/task/suites/tikz/targets/" + id + ".png";
        try (InputStream in = Objects.requireNonNull(TikzSuiteIT.class.getResourceAsStream(name), name + " missing")) {
            return ImageIO.read(in);
        }
    }
}
