package dev.renderloop.render;

import java.nio.file.Path;

/**
 * Extension point: turns code of one domain into frames. Implementations must be thread-safe; the
 * engine calls {@link #render} concurrently up to its own concurrency limit.
 *
 * <p>Contract: {@code render} never throws for anything the code does; every failure is a
 * {@link RenderResult} with an {@link ErrorKind}. Outputs are written under {@code outputDir}, which
 * the engine creates empty and owns afterwards.
 */
public interface Renderer extends AutoCloseable {

    /** The domain key, e.g. {@code matplotlib}. */
    String domain();

    /** Whether the renderer can run here, with the reason when it cannot. Cheap after the first call. */
    Availability availability();

    /**
     * A string that changes whenever the same code could render differently (renderer code, library
     * versions); part of the cache key. Only called when {@link #availability()} is available.
     */
    String version();

    /** Renders one request into {@code outputDir}. */
    RenderResult render(RenderRequest request, Path outputDir);

    /** Stops workers and frees resources; idempotent. */
    @Override
    void close();

    /**
     * Whether a renderer can run.
     *
     * @param available true when renders can be attempted
     * @param detail    versions when available, otherwise what is missing and how to get it
     */
    record Availability(boolean available, String detail) {
        public static Availability yes(String detail) {
            return new Availability(true, detail);
        }

        public static Availability no(String detail) {
            return new Availability(false, detail);
        }
    }
}
