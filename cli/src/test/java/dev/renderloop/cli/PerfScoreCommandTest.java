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
        assertTrue(run.out().contains("SSIM kernel vector ("), run.out());  // the test JVM adds jdk.incubator.vector
    }

    @Test
    void perfScore_size_setsTheFrameSize() {
        CliRun run = CliRun.of("perf", "score", "--frames", "2", "--size", "64x40", "--skip-reference");
        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("two 2-frame 64x40 videos (4 SSIMs)"), run.out());
    }

    @Test
    void perfScore_badSize_isAUsageError() {
        for (String bad : new String[] {"1280", "1280x", "6x100", "axb", "100000x100000", "-5x10"}) {
            CliRun run = CliRun.of("perf", "score", "--size", bad, "--skip-reference");
            assertEquals(ExitCode.USAGE, run.exitCode(), bad + ": " + run.out());
            assertTrue(run.err().contains("--size must be WxH"), bad + ": " + run.err());
        }
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
