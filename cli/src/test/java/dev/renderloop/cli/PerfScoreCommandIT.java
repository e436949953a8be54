package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The benchmark against the real Python stack (Debian's /usr/bin/python3 with python3-skimage and
 * python3-opencv): values must agree, speed is the output's job, not the test's.
 */
class PerfScoreCommandIT {
    @Test
    void perfScore_withReference_valuesAgree() {
        CliRun run = CliRun.of("perf", "score", "--frames", "3");
        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().matches("(?s).*speed-up VS: \\d+\\.\\dx.*"), run.out());
        assertTrue(run.out().matches("(?s).*vs_corrected_ssim +renderloop 0\\.\\d{10} +reference 0\\.\\d{10} +\\|diff\\| .*"), run.out());
        assertTrue(!run.out().contains("MISMATCH"), run.out());
    }
}
