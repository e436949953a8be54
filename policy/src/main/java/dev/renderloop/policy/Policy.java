package dev.renderloop.policy;

/**
 * Who writes the code: given a conversation (text, and images for image-to-code), returns one or n answers.
 *
 * <p>Implementations never throw for expected failures (HTTP errors, timeouts, malformed answers): those
 * come back as a {@link PolicyResponse} with an error kind. They must be safe for concurrent use.
 */
public interface Policy extends AutoCloseable {

    /** The spec string that names this policy (e.g. {@code openai:qwen@http://localhost:8000/v1}, {@code oracle}). */
    String name();

    /** Whether results of this policy are a baseline that needs no model (reports label them so). */
    default boolean baseline() {
        return false;
    }

    /** Answers one request. */
    PolicyResponse respond(PolicyRequest request);

    @Override
    default void close() {
    }
}
