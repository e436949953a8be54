package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark command runs both approaches to completion; it asserts no speed (that is its output's job). */
class PerfRenderCommandIT {
    @Test
    void perfRender_matplotlib_printsBothRatesAndTheRatio() {
        CliRun run = CliRun.of("perf", "render", "--domain", "matplotlib", "--jobs", "1", "--repeat", "1");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("fresh interpreter per program (published):   8/8 ok"), run.out());
        assertTrue(run.out().contains("warm pool, sandboxed, fork per job:          8/8 ok"), run.out());
        assertTrue(run.out().matches("(?s).*ratio warm / fresh: \\d+\\.\\d\\dx.*"), run.out());
        assertTrue(run.out().matches("(?s).*render cache hit: \\d+\\.\\d\\d ms mean over 8 hits.*"), run.out());
    }

    @Test
    void perfRender_unknownDomain_isAUsageError() {
        CliRun run = CliRun.of("perf", "render", "--domain", "povray");
        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("no bundled programs"), run.err());
        CliRun none = CliRun.of("perf", "render", "--domain", "matplotlib", "--only", "nothing_*");
        assertEquals(ExitCode.USAGE, none.exitCode());
        assertTrue(none.err().contains("matching 'nothing_*'"), none.err());
    }
}
