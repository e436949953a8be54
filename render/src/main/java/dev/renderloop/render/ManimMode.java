package dev.renderloop.render;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the manim driver turns a scene into frames. Every mode advances the animation state for every
 * frame, so a frame shows the scene exactly as the full render does at that time; the modes differ in
 * what is rasterised and encoded. Part of {@link RenderSettings}, hence of the render cache key, and
 * reported back in {@link RenderResult#details()} under {@link #DETAIL_KEY}.
 */
public enum ManimMode {
    /**
     * As the paper does ({@code manim -ql}): every frame rasterised, an mp4 encoded, then decoded
     * again to keep every {@code max(1, int(fps / sampleFps))}-th frame. The default, and what
     * {@code bench} uses for parity with published figures.
     */
    PUBLISHED("published"),
    /**
     * For rewards: Cairo rasterises only the sampled frames (plus the last frame of each {@code play},
     * one of which is the video's last frame); no video is encoded or decoded, the frames go straight to
     * PNG. Each frame equals the full render's lossless frame at that time; the media is the last frame
     * (no mp4 exists).
     */
    REWARD("reward"),
    /**
     * The published render (mp4 encoded as in {@link #PUBLISHED}), with the sampled frames taken from
     * the renderer before encoding instead of decoded from the mp4: the lossless reference the reward
     * mode is checked against.
     */
    PUBLISHED_LOSSLESS("published-lossless");

    /** The {@link RenderResult#details()} key that says which mode made a Manim result. */
    public static final String DETAIL_KEY = "manim_mode";

    private final String wireName;

    ManimMode(String wireName) {
        this.wireName = wireName;
    }

    /** The name used on the command line, on the worker protocol and in results. */
    public String wireName() {
        return wireName;
    }

    /**
     * The mode named {@code name} ({@code published}, {@code reward}, {@code published-lossless}).
     *
     * @throws IllegalArgumentException naming the known modes, for any other text
     */
    public static ManimMode parse(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(m -> m.wireName.equals(n)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown Manim mode '" + name + "'; known: "
                        + String.join(", ", Arrays.stream(values()).map(ManimMode::wireName).toList())));
    }
}
