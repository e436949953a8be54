package dev.renderloop.cli;

/** Exit codes of every renderloop command, in one place. */
final class ExitCode {
    /** The command did what was asked (for {@code render}: the code rendered). */
    static final int OK = 0;
    /** The command ran, but the render (or a benchmarked render) failed; details are in the output. */
    static final int RENDER_FAILED = 1;
    /** Bad command line or unreadable input file. */
    static final int USAGE = 2;
    /** The renderer for the requested domain cannot run on this machine. */
    static final int UNAVAILABLE = 3;
    /** A bug or an environment failure; rerun with --stacktrace for details. */
    static final int INTERNAL = 70;

    private ExitCode() {
    }
}
