package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link Renderer} must keep, run against each implementation (one subclass per
 * renderer, named {@code *ConformanceIT} when it needs a real runtime). Subclasses supply the
 * renderer and a few programs of their domain.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RendererConformance {
    protected Renderer renderer;

    @TempDir
    Path out;

    /** A fresh renderer under test. */
    protected abstract Renderer newRenderer();

    /** A program of the domain that renders. */
    protected abstract String validCode();

    /** A second, different program that renders to a different image. */
    protected abstract String otherValidCode();

    /** A program that cannot render, and the kind it must fail with. */
    protected abstract String invalidCode();

    protected abstract ErrorKind invalidKind();

    /** Whether the output image must be exactly the requested size (false for page-sized outputs). */
    protected boolean exactSize() {
        return true;
    }

    protected RenderSettings settings() {
        return RenderSettings.defaultsFor(renderer.domain());
    }

    @BeforeAll
    void startRenderer() {
        renderer = newRenderer();
    }

    @AfterAll
    void closeRenderer() {
        renderer.close();
    }

    private void requireAvailable() {
        Assumptions.assumeTrue(renderer.availability().available(), renderer.domain() + " unavailable: " + renderer.availability().detail());
    }

    private RenderResult render(String code, String dir) throws Exception {
        Path target = Files.createDirectories(out.resolve(dir));
        return renderer.render(new RenderRequest(renderer.domain(), code, settings()), target);
    }

    @Test
    void availability_isStableAndExplained() {
        Renderer.Availability a = renderer.availability();
        assertEquals(a, renderer.availability());
        assertFalse(a.detail().isBlank(), "availability must say what it found or what is missing");
    }

    @Test
    void version_isNonBlankWhenAvailable() {
        requireAvailable();
        assertFalse(renderer.version().isBlank());
    }

    @Test
    void validCode_rendersPngFramesInsideTheOutputDirectory() throws Exception {
        requireAvailable();
        RenderResult r = render(validCode(), "valid");
        assertTrue(r.ok(), r.error());
        assertNull(r.errorKind());
        assertEquals(renderer.domain(), r.domain());
        assertFalse(r.frames().isEmpty());
        for (Path f : r.frames()) {
            assertTrue(f.startsWith(out.resolve("valid")), f + " is outside the output directory");
            BufferedImage image = ImageIO.read(f.toFile());
            assertNotNull(image, f + " is not a readable image");
            if (exactSize()) {
                assertEquals(settings().width(), image.getWidth());
                assertEquals(settings().height(), image.getHeight());
            }
        }
        assertNotNull(r.lastFrame());
        assertTrue(Files.exists(r.lastFrame()));
    }

    @Test
    void sameCodeTwice_givesIdenticalPixels_differentCodeDoesNot() throws Exception {
        requireAvailable();
        RenderResult a = render(validCode(), "a");
        RenderResult b = render(validCode(), "b");
        RenderResult c = render(otherValidCode(), "c");
        assertTrue(a.ok() && b.ok() && c.ok(), a.error() + b.error() + c.error());
        assertTrue(Arrays.equals(pixels(a.lastFrame()), pixels(b.lastFrame())), "renders must be deterministic");
        assertFalse(Arrays.equals(pixels(a.lastFrame()), pixels(c.lastFrame())), "different programs must look different");
    }

    @Test
    void invalidCode_isAClassifiedFailureNotAnException() throws Exception {
        requireAvailable();
        RenderResult r = assertDoesNotThrow(() -> render(invalidCode(), "invalid"));
        assertEquals(invalidKind(), r.errorKind(), r.error());
        assertFalse(r.error().isBlank());
        assertTrue(r.frames().isEmpty());
    }

    @Test
    void concurrentRenders_allSucceed() throws Exception {
        requireAvailable();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<RenderResult>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String dir = "concurrent-" + i;
                String code = i % 2 == 0 ? validCode() : otherValidCode();
                futures.add(pool.submit(() -> render(code, dir)));
            }
            for (Future<RenderResult> f : futures) {
                RenderResult r = f.get();
                assertTrue(r.ok(), r.error());
            }
        } finally {
            pool.shutdown();
        }
    }

    static int[] pixels(Path png) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
