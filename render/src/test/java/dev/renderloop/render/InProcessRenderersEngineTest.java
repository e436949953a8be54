package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SVG and SMILES renderers behind a real engine: input checks, cache hits, cached failures. */
class InProcessRenderersEngineTest {
    @TempDir
    Path dir;

    private RenderEngine engine() {
        return RenderEngine.builder().cacheDir(dir.resolve("cache")).scratchDir(dir)
                .renderer(new SvgRenderer()).renderer(new SmilesRenderer()).build();
    }

    @Test
    void render_throughTheEngine_isCachedAndTheCachedFrameIsTheSame() throws Exception {
        try (RenderEngine engine = engine()) {
            assertTrue(engine.availability("svg").available());
            assertTrue(engine.availability("smiles").available());
            for (RenderRequest request : new RenderRequest[] {
                RenderRequest.of("svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 2 1\"><rect width=\"1\" height=\"1\" fill=\"red\"/></svg>"),
                RenderRequest.of("smiles", "CCO")}) {
                RenderResult first = engine.render(request);
                RenderResult second = engine.render(request);
                assertTrue(first.ok(), first.error());
                assertFalse(first.cached());
                assertTrue(second.cached());
                assertEquals(1, second.frames().size());
                assertEquals(second.lastFrame(), second.media());
                assertArrayEquals(Files.readAllBytes(first.lastFrame()), Files.readAllBytes(second.lastFrame()));
            }
        }
    }

    @Test
    void render_throughTheEngine_deterministicFailuresAreCachedWithTheirKind() {
        try (RenderEngine engine = engine()) {
            RenderRequest bad = RenderRequest.of("smiles", "C1CC");
            assertEquals(ErrorKind.SYNTAX_ERROR, engine.render(bad).errorKind());
            RenderResult again = engine.render(bad);
            assertTrue(again.cached());
            assertEquals(ErrorKind.SYNTAX_ERROR, again.errorKind());
            assertEquals(ErrorKind.NO_CODE, engine.render(RenderRequest.of("svg", "  ")).errorKind());
            assertEquals(ErrorKind.BAD_INPUT, engine.render(RenderRequest.of("svg", "<svg>\0</svg>")).errorKind());
        }
    }
}
