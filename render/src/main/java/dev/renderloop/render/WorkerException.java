package dev.renderloop.render;

/**
 * A worker could not start, died, or stopped answering. Internal: renderers turn it into a
 * {@link RenderResult} with {@link ErrorKind#RENDERER_UNAVAILABLE}, {@link ErrorKind#RENDERER_CRASHED}
 * or {@link ErrorKind#TIMEOUT}.
 */
final class WorkerException extends Exception {
    enum Reason { UNAVAILABLE, CRASHED, UNRESPONSIVE }

    private final Reason reason;

    WorkerException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
