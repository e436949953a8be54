package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark command without the Python reference: it runs in-process and prints timings and values. */
class PerfScoreCommandTest {
    @Test
    void perfScore_skipReference_printsTimingsAndValues() {
        CliRun run = CliRun.of("perf", "score", "--frames", "3", "--skip-reference");
        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("two 3-frame 854x480 videos (9 SSIMs)"), run.out());
        assertTrue(run.out().matches("(?s).*vs_paper_ssim +renderloop 0\\.\\d{10}.*"), run.out());
        assertTrue(run.out().matches("(?s).*tiled +renderloop 0\\.\\d{10}.*"), run.out());
    }

    @Test
    void perfScore_zeroFrames_isAUsageError() {
        CliRun run = CliRun.of("perf", "score", "--frames", "0");
        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("--frames must be at least 1"), run.err());
    }

    @Test
    void perfScore_missingPython_isReportedAsUnavailable() {
        CliRun run = CliRun.of("perf", "score", "--frames", "2", "--python", "/nonexistent/python3");
        assertEquals(ExitCode.UNAVAILABLE, run.exitCode(), run.out());
        assertTrue(run.out().contains("reference unavailable: no Python at /nonexistent/python3"), run.out());
    }
}
