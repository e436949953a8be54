package dev.renderloop.cli;

import dev.renderloop.render.ErrorKind;
import dev.renderloop.render.RenderEngine;
import dev.renderloop.render.RenderRequest;
import dev.renderloop.render.RenderResult;
import dev.renderloop.render.RenderSettings;
import dev.renderloop.render.SourceText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code renderloop render --domain D FILE}: renders one program. */
@Command(name = "render", description = "Render one program file and print the outcome.")
final class RenderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--domain", required = true, description = "Renderer: manim, matplotlib, svg, smiles, rdkit, html or tikz.")
    String domain;

    @Parameters(paramLabel = "FILE", description = "The program to render.")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Copy frames and media into DIR (paths in the output point there).")
    Path out;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Render timeout (default: the domain's, e.g. 60 for manim, 30 for matplotlib and tikz, 15 for html).")
    Double timeoutSeconds;

    @Option(names = "--size", paramLabel = "WxH", description = "Output size in pixels, e.g. 854x480.")
    String size;

    @Option(names = "--scene", paramLabel = "CLASS", description = "Scene class to render (default: detected).")
    String scene;

    @Option(names = "--manim-mode", paramLabel = "MODE", description = "manim only: published (default: every frame drawn, "
            + "an mp4, frames decoded from it, as the paper), reward (only the sampled frames drawn, no video) or published-lossless.")
    String manimMode;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws IOException {
        RenderSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("renderloop render: " + e.getMessage());
            return ExitCode.USAGE;
        }
        String unknown = RenderDomains.problem(domain);
        if (unknown != null) {
            spec.commandLine().getErr().println("renderloop render: " + unknown);
            return ExitCode.USAGE;
        }
        SourceText source = read(file);
        RenderResult result;
        if (source == null) {
            return ExitCode.USAGE;
        }
        RenderEngine.Builder builder = engineOptions.builder();
        if (engineOptions.noCache && out == null) {
            // Without cache the engine's scratch outputs die with it; keep them for the printed paths.
            builder.outputDir(Files.createTempDirectory("renderloop-render-"));
        }
        try (RenderEngine engine = builder.build()) {
            if (!source.ok()) {
                result = RenderResult.failure(domain, ErrorKind.BAD_INPUT, file + ": " + source.problem(), 0);
            } else {
                result = engine.render(new RenderRequest(domain, source.text(), settings));
            }
            if (out != null && result.ok()) {
                result = copyTo(result, out);
            }
            print(result);
        }
        if (result.ok()) {
            return ExitCode.OK;
        }
        return result.errorKind() == ErrorKind.RENDERER_UNAVAILABLE ? ExitCode.UNAVAILABLE : ExitCode.RENDER_FAILED;
    }

    private RenderSettings settings() {
        RenderSettings s = RenderSettings.defaultsFor(domain);
        if (timeoutSeconds != null) {
            if (!(timeoutSeconds > 0) || timeoutSeconds > 86_400) {
                throw new IllegalArgumentException("--timeout must be in (0, 86400] seconds, got " + timeoutSeconds);
            }
            s = s.withTimeout(Duration.ofMillis((long) (timeoutSeconds * 1000)));
        }
        if (size != null) {
            String[] wh = size.toLowerCase().split("x");
            if (wh.length != 2 || !wh[0].matches("\\d{1,5}") || !wh[1].matches("\\d{1,5}")) {
                throw new IllegalArgumentException("--size must look like 854x480, got " + size);
            }
            s = s.withSize(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        }
        if (scene != null) {
            s = s.withScene(scene);
        }
        if (manimMode != null) {
            if (!domain.equals("manim")) {
                throw new IllegalArgumentException("--manim-mode applies to --domain manim only, not " + domain);
            }
            s = s.withManimMode(dev.renderloop.render.ManimMode.parse(manimMode));
        }
        return s;
    }

    /** Reads at most the size cap plus one byte, so a huge file is refused without loading it. */
    private SourceText read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            spec.commandLine().getErr().println("renderloop render: " + path + " is a directory, not a program file");
            return null;
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] bytes = in.readNBytes(SourceText.DEFAULT_MAX_BYTES + 1);
            if (bytes.length > SourceText.DEFAULT_MAX_BYTES) {
                return new SourceText("", String.format("the program is larger than the %,d-byte limit (%,d bytes)",
                        SourceText.DEFAULT_MAX_BYTES, Files.size(path)));
            }
            return SourceText.decode(bytes);
        } catch (NoSuchFileException e) {
            spec.commandLine().getErr().println("renderloop render: no such file: " + path);
            return null;
        } catch (java.nio.file.AccessDeniedException e) {
            spec.commandLine().getErr().println("renderloop render: cannot read " + path + ": permission denied");
            return null;
        }
    }

    private static RenderResult copyTo(RenderResult r, Path dir) throws IOException {
        Files.createDirectories(dir.resolve("frames"));
        List<Path> frames = new ArrayList<>();
        for (Path f : r.frames()) {
            frames.add(Files.copy(f, dir.resolve("frames").resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING));
        }
        Path media = r.media() == null ? null : Files.copy(r.media(), dir.resolve(r.media().getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Path last = r.lastFrame() == null ? null : Files.copy(r.lastFrame(), dir.resolve("last.png"), StandardCopyOption.REPLACE_EXISTING);
        return new RenderResult(r.domain(), r.errorKind(), r.error(), frames, media, last, r.scene(), r.millis(),
                r.renderMillis(), r.cached(), r.log());
    }

    private void print(RenderResult r) {
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(ResultJson.write(ResultJson.of(r)));
            return;
        }
        if (r.ok()) {
            out.printf("ok: %s rendered %d frame(s) in %d ms%s%n", r.domain(), r.frames().size(), r.millis(), r.cached() ? " (cached)" : "");
            if (r.scene() != null) {
                out.println("scene: " + r.scene());
            }
            out.println("media: " + r.media());
            out.println("last frame: " + r.lastFrame());
        } else {
            out.printf("error (%s) after %d ms:%n%s%n", r.errorKind().wireName(), r.millis(), r.error());
        }
    }
}
