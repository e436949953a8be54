package dev.renderloop.task;

import java.util.Objects;

/**
 * One thing to generate: a description and/or a target image, in a render domain, with the
 * reference code that solves it.
 *
 * @param id          unique within its suite
 * @param domain      render domain, e.g. {@code svg}, {@code manim}
 * @param description what to draw or animate, as given to a model; may be empty for image-only tasks
 * @param code        the reference code
 * @param target      the target image (PNG), or null when the task has none (text-to-code tasks, or
 *                    targets not rendered yet)
 * @param level       difficulty level where the suite has one, else null
 */
public record Task(String id, String domain, String description, String code, TargetImage target, String level) {
    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(domain, "domain");
        description = description == null ? "" : description;
        Objects.requireNonNull(code, "code");
        if (id.isBlank()) {
            throw new IllegalArgumentException("task id must not be blank");
        }
    }
}
