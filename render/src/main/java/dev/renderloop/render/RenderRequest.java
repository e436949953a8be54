package dev.renderloop.render;

import java.util.Objects;

/**
 * One render: which domain, the code (as the model wrote it, already extracted from its answer),
 * and the settings.
 *
 * @param domain   renderer key, e.g. {@code manim} or {@code matplotlib}
 * @param code     the program text; may be empty (the engine answers {@link ErrorKind#NO_CODE})
 * @param settings size, sampling and limits
 */
public record RenderRequest(String domain, String code, RenderSettings settings) {

    public RenderRequest {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(settings, "settings");
    }

    /** A request with the domain's default settings. */
    public static RenderRequest of(String domain, String code) {
        return new RenderRequest(domain, code, RenderSettings.defaultsFor(domain));
    }
}
