package dev.renderloop.cli;

/** Exit codes of every renderloop command, in one place. */
final class ExitCode {
    /** The command did what was asked (for {@code render}: the code rendered). */
    static final int OK = 0;
    /** The command ran, but the render (or a benchmarked render) failed; details are in the output. */
    static final int RENDER_FAILED = 1;
    /** Bad command line or unreadable input file. */
    static final int USAGE = 2;
    /**
     * Something the command needs cannot run on this machine: the renderer for the requested domain, or the model
     * runtime (libtorch) for the model commands.
     */
    static final int UNAVAILABLE = 3;
    /** A bug or an environment failure; rerun with --stacktrace for details. */
    static final int INTERNAL = 70;

    private ExitCode() {
    }
}
