package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.task.Suite;
import dev.renderloop.task.Suites;
import dev.renderloop.task.Task;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bundled suite: each reference renders, and its committed target has the rendered size. */
class SuiteTargetsIT {
    @TempDir
    Path out;

    static java.util.List<String> bundledDomains() {
        return Suites.BUNDLED.stream().filter(d -> {
            try {
                Suites.bundled(d);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }).toList();
    }

    @ParameterizedTest
    @MethodSource("bundledDomains")
    void everyReferenceRenders_andMatchesItsCommittedTarget(String domain) throws Exception {
        Suite suite = Suites.bundled(domain);
        assertTrue(suite.size() >= 20, domain + " has " + suite.size() + " tasks");
        try (RenderEngine engine = RenderEngine.builder().noCache().build()) {
            Assumptions.assumeTrue(engine.availability(domain).available(), engine.availability(domain).detail());
            for (Task t : suite.tasks()) {
                assertTrue(!t.description().isBlank(), t.id() + " has no description");
                RenderResult r = engine.render(RenderRequest.of(domain, t.code()));
                assertTrue(r.ok(), t.id() + ": " + r.error());
                assertTrue(t.target() != null && t.target().exists(),
                        t.id() + " has no committed target: run renderloop suite targets --domain " + domain);
                BufferedImage target = ImageIO.read(new ByteArrayInputStream(t.target().bytes()));
                BufferedImage rendered = ImageIO.read(r.lastFrame().toFile());
                assertEquals(target.getWidth() + "x" + target.getHeight(), rendered.getWidth() + "x" + rendered.getHeight(), t.id());
            }
        }
    }
}
