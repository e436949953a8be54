package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop demo} run twice: the second run says it resumes the first's results instead of reusing them silently. */
class DemoResumeIT {
    @TempDir
    Path dir;

    @Test
    void secondDemo_saysItIsResuming() {
        String out = dir.resolve("demo").toString();
        CliRun first = CliRun.of("demo", "--limit", "1", "--out", out, "--no-cache");
        assertEquals(ExitCode.OK, first.exitCode(), first.out() + first.err());
        assertFalse(first.out().contains("resuming"), first.out());
        CliRun second = CliRun.of("demo", "--limit", "1", "--out", out, "--no-cache");
        assertEquals(ExitCode.OK, second.exitCode(), second.out() + second.err());
        assertTrue(second.out().matches("(?s).*resuming \\S*svg-retrieval: (\\d+) of \\1 pairs already done.*"), second.out());
    }
}
