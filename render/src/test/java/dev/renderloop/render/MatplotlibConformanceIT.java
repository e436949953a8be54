package dev.renderloop.render;

import java.nio.file.Path;

/** The renderer contract, for the warm-worker matplotlib renderer. */
class MatplotlibConformanceIT extends RendererConformance {
    private RenderEngine engine;

    @Override
    protected Renderer newRenderer() {
        engine = TestEngines.plain(2);
        // The engine owns the renderer; hand out a view that closes the engine with it.
        return new DelegatingRenderer(engine, "matplotlib");
    }

    @Override
    protected String validCode() {
        return "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [1, 3, 2])\n";
    }

    @Override
    protected String otherValidCode() {
        return "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [2, 0, 2], color='red')\n";
    }

    @Override
    protected String invalidCode() {
        return "import matplotlib.pyplot as plt\nplt.plot(\n";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.SYNTAX_ERROR;
    }

    /** Renders through an engine's domain renderer so the pool and sandbox are the real ones. */
    record DelegatingRenderer(RenderEngine engine, String domain) implements Renderer {
        @Override
        public Availability availability() {
            return engine.availability(domain);
        }

        @Override
        public String version() {
            return engine.rendererVersion(domain);
        }

        @Override
        public RenderResult render(RenderRequest request, Path outputDir) {
            return engine.renderer(domain).render(request, outputDir);
        }

        @Override
        public void close() {
            engine.close();
        }
    }

}
