package dev.renderloop.cli;

import dev.renderloop.render.RenderEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private Path scratch;

    /** Checked when parsed: a directory that exists is writable, or one that does not can be created. */
    @Option(names = "--scratch", paramLabel = "DIR",
            description = "Directory for the workers' job files (default: $RENDERLOOP_SCRATCH, else the system temp "
                    + "directory). A RAM file system such as /dev/shm makes short renders faster.")
    void scratch(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        Path existing = target;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new ParameterException(mixee.commandLine(), "--scratch: " + dir
                    + (existing == target ? " is not a writable directory" : " cannot be created in " + existing));
        }
        scratch = target;
    }

    /** Where job files go: --scratch, else the engine's default ($RENDERLOOP_SCRATCH, else the system temp directory). */
    Path scratchDir() {
        return scratch != null ? scratch : RenderEngine.defaultScratchDir();
    }

    RenderEngine.Builder builder() {
        RenderEngine.Builder b = RenderEngine.builder().scratchDir(scratchDir());
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
