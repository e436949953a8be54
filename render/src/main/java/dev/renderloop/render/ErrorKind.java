package dev.renderloop.render;

import java.util.Arrays;
import java.util.Locale;

/**
 * Why a render failed. Every failure the engine can produce maps to exactly one kind, so callers
 * (the agent's repair loop, the benchmark, the reward) can branch on it without parsing text.
 */
public enum ErrorKind {
    /** The code is empty or blank. */
    NO_CODE,
    /** The input is not acceptable source text: not UTF-8, contains NUL bytes, or is over the size cap. */
    BAD_INPUT,
    /** The code does not parse. */
    SYNTAX_ERROR,
    /** The code ran but defined no scene class (Manim) or drew nothing (matplotlib). */
    NO_SCENE,
    /** The code raised, or the process died on its own. */
    RUNTIME_ERROR,
    /** The render passed its wall-clock or CPU-time limit and was killed. */
    TIMEOUT,
    /** The render passed its memory limit. */
    MEMORY_LIMIT,
    /** The render wrote more than its file-size or total-output limit. */
    OUTPUT_TOO_LARGE,
    /** No renderer for the domain, or its runtime (Python, Manim, ...) is missing or does not start. */
    RENDERER_UNAVAILABLE,
    /** The renderer itself broke (worker died mid-job); the engine restarts it. Not the code's fault. */
    RENDERER_CRASHED;

    /** The name used on the wire and in JSON output, e.g. {@code syntax_error}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind for a wire name; unknown names map to {@link #RUNTIME_ERROR}. */
    public static ErrorKind fromWire(String name) {
        return Arrays.stream(values())
                .filter(k -> k.wireName().equals(name))
                .findFirst()
                .orElse(RUNTIME_ERROR);
    }

    /** Whether a result of this kind may be cached: only failures that depend on code and settings alone. */
    public boolean deterministic() {
        return switch (this) {
            case NO_CODE, BAD_INPUT, SYNTAX_ERROR, NO_SCENE, RUNTIME_ERROR, OUTPUT_TOO_LARGE -> true;
            case TIMEOUT, MEMORY_LIMIT, RENDERER_UNAVAILABLE, RENDERER_CRASHED -> false;
        };
    }
}
