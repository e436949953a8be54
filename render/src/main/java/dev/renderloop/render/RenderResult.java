package dev.renderloop.render;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a render produced. A failed render is a value too: {@link #ok()} is false, {@link #errorKind()}
 * says why and {@link #error()} holds the cleaned error text (the traceback tail with sandbox paths
 * removed), ready to show a model.
 *
 * <p>Paths point into the engine's output area (the render cache when enabled); copy them if they must
 * outlive a cache eviction.
 *
 * @param domain     the renderer that produced it
 * @param errorKind  {@code null} on success
 * @param error      cleaned error text; empty on success
 * @param frames     sampled frames as PNG files, in time order (one for a still image)
 * @param media      the primary output (mp4 for an animated Manim scene, else the image); null on failure
 * @param lastFrame  the final frame as PNG; null on failure
 * @param scene      the rendered scene class (Manim), or null
 * @param millis     wall-clock time of the render as observed by the engine (cache lookups included)
 * @param renderMillis time spent rendering in the worker, 0 on a cache hit
 * @param cached     whether the result came from the render cache
 * @param log        tail of what the program printed (stdout and stderr)
 * @param details    domain facts about the output, e.g. {@code smiles}: the canonical SMILES of the
 *                   molecule an RDKit program drew; empty when there are none
 */
public record RenderResult(
        String domain,
        ErrorKind errorKind,
        String error,
        List<Path> frames,
        Path media,
        Path lastFrame,
        String scene,
        long millis,
        long renderMillis,
        boolean cached,
        String log,
        Map<String, String> details) {

    public RenderResult {
        Objects.requireNonNull(domain, "domain");
        error = error == null ? "" : error;
        log = log == null ? "" : log;
        frames = List.copyOf(frames);
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** A result without domain details. */
    public RenderResult(String domain, ErrorKind errorKind, String error, List<Path> frames, Path media, Path lastFrame,
                        String scene, long millis, long renderMillis, boolean cached, String log) {
        this(domain, errorKind, error, frames, media, lastFrame, scene, millis, renderMillis, cached, log, Map.of());
    }

    /** A failure that produced no output. */
    public static RenderResult failure(String domain, ErrorKind kind, String error, long millis) {
        return new RenderResult(domain, Objects.requireNonNull(kind), error, List.of(), null, null, null, millis, 0, false, "");
    }

    public boolean ok() {
        return errorKind == null;
    }

    /** {@code "ok"} or {@code "error"}. */
    public String status() {
        return ok() ? "ok" : "error";
    }

    /** The last {@code n} lines of the error text, as the repair loop sends them to a model. */
    public String errorTail(int n) {
        List<String> lines = error.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    RenderResult withTiming(long totalMillis, boolean fromCache) {
        return new RenderResult(domain, errorKind, error, frames, media, lastFrame, scene, totalMillis,
                fromCache ? 0 : renderMillis, fromCache, log, details);
    }
}
