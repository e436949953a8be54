package dev.renderloop.render;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How to render: output size, frame rate and sampling, and the limits the sandbox enforces.
 *
 * <p>Defaults follow the published ManimBench setting ({@code manim -ql}: 854x480, 15 fps, frames
 * sampled at about 5 fps) with a 60 s render timeout. Values are validated eagerly.
 *
 * @param width        output width in pixels
 * @param height       output height in pixels
 * @param fps          video frame rate (Manim)
 * @param sampleFps    frames kept per second of video: every {@code max(1, int(fps / sampleFps))}-th frame
 * @param maxFrames    at most this many sampled frames are kept
 * @param dpi          dots per inch for figure-based domains (matplotlib)
 * @param timeout      wall-clock limit for one render; the process group is killed when it passes
 * @param memoryBytes  address-space limit of the render process
 * @param maxFileBytes largest file the render may write (also bounds its log)
 * @param maxOutputBytes largest total size of the render's output directory
 * @param maxProcesses  process (and thread) limit inside the sandbox
 * @param seed          seed for Python's and numpy's global RNGs
 * @param scene         scene class to render, or {@code null} to detect it
 * @param manimMode     how a Manim scene is turned into frames ({@link ManimMode}); other domains ignore it
 */
public record RenderSettings(
        int width,
        int height,
        double fps,
        double sampleFps,
        int maxFrames,
        int dpi,
        Duration timeout,
        long memoryBytes,
        long maxFileBytes,
        long maxOutputBytes,
        int maxProcesses,
        long seed,
        String scene,
        ManimMode manimMode) {

    public static final RenderSettings MANIM_DEFAULTS = new RenderSettings(
            854, 480, 15, 5, 300, 100, Duration.ofSeconds(60), 4L << 30, 256L << 20, 512L << 20, 64, 0, null, ManimMode.PUBLISHED);

    public static final RenderSettings MATPLOTLIB_DEFAULTS = MANIM_DEFAULTS
            .withSize(640, 480).withTimeout(Duration.ofSeconds(30));

    public RenderSettings {
        require(width > 0 && width <= 8192, "width must be in 1..8192, got %s", width);
        require(height > 0 && height <= 8192, "height must be in 1..8192, got %s", height);
        require(fps > 0 && fps <= 240, "fps must be in (0, 240], got %s", fps);
        require(sampleFps >= 0, "sampleFps must be >= 0, got %s", sampleFps);
        require(maxFrames > 0, "maxFrames must be > 0, got %s", maxFrames);
        require(dpi > 0 && dpi <= 1200, "dpi must be in 1..1200, got %s", dpi);
        Objects.requireNonNull(timeout, "timeout");
        require(!timeout.isNegative() && !timeout.isZero(), "timeout must be positive, got %s", timeout);
        require(memoryBytes >= 64L << 20, "memoryBytes must be at least 64 MiB, got %s", memoryBytes);
        require(maxFileBytes >= 1L << 20, "maxFileBytes must be at least 1 MiB, got %s", maxFileBytes);
        require(maxOutputBytes >= maxFileBytes, "maxOutputBytes must be >= maxFileBytes, got %s", maxOutputBytes);
        require(maxProcesses >= 4, "maxProcesses must be at least 4, got %s", maxProcesses);
        Objects.requireNonNull(manimMode, "manimMode");
        require(scene == null || scene.matches("[A-Za-z_][A-Za-z0-9_]*"), "scene must be a Python identifier, got %s", scene);
    }

    /** VinciCoder's SVG setting: 336x336 on white. */
    public static final RenderSettings SVG_DEFAULTS = MANIM_DEFAULTS.withSize(336, 336).withTimeout(Duration.ofSeconds(10));

    /** Molecule depictions (SMILES, RDKit): a square image. */
    public static final RenderSettings MOLECULE_DEFAULTS = MANIM_DEFAULTS.withSize(400, 400).withTimeout(Duration.ofSeconds(20));

    /** Web pages: a desktop viewport; the screenshot is full-page, so its height can grow. */
    public static final RenderSettings HTML_DEFAULTS = MANIM_DEFAULTS.withSize(1280, 800).withTimeout(Duration.ofSeconds(15));

    /** LaTeX/TikZ: the first page rasterised at 300 dpi (width and height bound the image). */
    public static final RenderSettings TIKZ_DEFAULTS = new RenderSettings(
            2400, 2400, 15, 5, 1, 300, Duration.ofSeconds(30), 4L << 30, 256L << 20, 512L << 20, 64, 0, null, ManimMode.PUBLISHED);

    /** The defaults for a domain (Manim's for unknown ones). */
    public static RenderSettings defaultsFor(String domain) {
        return switch (domain) {
            case "matplotlib" -> MATPLOTLIB_DEFAULTS;
            case "svg" -> SVG_DEFAULTS;
            case "smiles", "rdkit" -> MOLECULE_DEFAULTS;
            case "html" -> HTML_DEFAULTS;
            case "tikz" -> TIKZ_DEFAULTS;
            default -> MANIM_DEFAULTS;
        };
    }

    public RenderSettings withSize(int w, int h) {
        return new RenderSettings(w, h, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, maxFileBytes,
                maxOutputBytes, maxProcesses, seed, scene, manimMode);
    }

    public RenderSettings withTimeout(Duration t) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, t, memoryBytes, maxFileBytes,
                maxOutputBytes, maxProcesses, seed, scene, manimMode);
    }

    public RenderSettings withMemoryBytes(long bytes) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, bytes, maxFileBytes,
                maxOutputBytes, maxProcesses, seed, scene, manimMode);
    }

    public RenderSettings withMaxFileBytes(long bytes) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, bytes,
                Math.max(bytes, maxOutputBytes), maxProcesses, seed, scene, manimMode);
    }

    public RenderSettings withMaxOutputBytes(long bytes) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, maxFileBytes,
                bytes, maxProcesses, seed, scene, manimMode);
    }

    public RenderSettings withScene(String sceneClass) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, maxFileBytes,
                maxOutputBytes, maxProcesses, seed, sceneClass, manimMode);
    }

    public RenderSettings withSeed(long s) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, maxFileBytes,
                maxOutputBytes, maxProcesses, s, scene, manimMode);
    }

    /** These settings with another {@link ManimMode}. */
    public RenderSettings withManimMode(ManimMode mode) {
        return new RenderSettings(width, height, fps, sampleFps, maxFrames, dpi, timeout, memoryBytes, maxFileBytes,
                maxOutputBytes, maxProcesses, seed, scene, mode);
    }

    /**
     * The settings as the worker protocol names them. Also the canonical form hashed into cache
     * keys, so its key order is fixed.
     */
    public Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("width", width);
        m.put("height", height);
        m.put("fps", fps);
        m.put("sample_fps", sampleFps);
        m.put("max_frames", maxFrames);
        m.put("dpi", dpi);
        m.put("timeout_seconds", timeout.toMillis() / 1000.0);
        m.put("cpu_seconds", timeout.toSeconds() + 2);
        m.put("memory_bytes", memoryBytes);
        m.put("max_file_bytes", maxFileBytes);
        m.put("max_output_bytes", maxOutputBytes);
        m.put("max_processes", maxProcesses);
        m.put("max_open_files", 1024);
        m.put("seed", seed);
        m.put("scene", scene);
        m.put("manim_mode", manimMode.wireName());
        return m;
    }

    static void require(boolean ok, String format, Object arg) {
        if (!ok) {
            throw new IllegalArgumentException(String.format(format, arg));
        }
    }
}
