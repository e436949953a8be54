package dev.renderloop.cli;

import dev.renderloop.render.RenderEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by every command that renders (a picocli mixin). */
final class EngineOptions {
    @Option(names = "--python", paramLabel = "PYTHON",
            description = "Python interpreter for the render workers (default: $RENDERLOOP_PYTHON, else /usr/bin/python3).")
    Path python;

    @Option(names = "--python-path", paramLabel = "DIR", split = ":",
            description = "Extra module directories for the workers (colon-separated), e.g. a Manim checkout.")
    List<Path> pythonPath = new ArrayList<>();

    @Option(names = "--workers", paramLabel = "N", description = "Warm workers per Python domain (default: number of cores).")
    Integer workers;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Render cache directory (default: $RENDERLOOP_CACHE, else ~/.cache/renderloop/renders).")
    Path cache;

    @Option(names = "--no-cache", description = "Do not read or write the render cache.")
    boolean noCache;

    RenderEngine.Builder builder() {
        RenderEngine.Builder b = RenderEngine.builder();
        if (python != null) {
            b.python(python);
        }
        if (!pythonPath.isEmpty()) {
            b.pythonPath(pythonPath);
        }
        if (workers != null) {
            b.workers(workers);
        }
        if (cache != null) {
            b.cacheDir(cache);
        }
        if (noCache) {
            b.noCache();
        }
        return b;
    }
}
