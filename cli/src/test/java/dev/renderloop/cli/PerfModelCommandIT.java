package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code renderloop perf model} against transformers on the tiny checkpoint; it asserts no speed (that is its output's job). */
class PerfModelCommandIT {
    static final Path PYTHON = Path.of("/work/venv-model/bin/python");

    @Test
    void perfModel_tiny_timesBothSidesWithIdenticalGreedyIds() throws Exception {
        assumeTrue(importsTorch(), PYTHON + " with torch and transformers is not installed here");
        CliRun run = CliRun.of("perf", "model", "--sizes", "tiny", "--prompt-tokens", "16", "--new-tokens", "8",
                "--repeat", "2", "--warmup-seconds", "0.2", "--python", PYTHON.toString());
        assertEquals(ExitCode.OK, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().matches("(?s).*tiny \\(0\\.1M\\) +renderloop \\(DJL, \\d+ threads?\\) +\\d+\\.\\d +\\d+\\.\\d +\\d+ MiB.*"), run.out());
        assertTrue(run.out().matches("(?s).*transformers \\(\\w+, \\d+ threads\\) +\\d+\\.\\d +\\d+\\.\\d +\\d+ MiB.*"), run.out());
        assertTrue(run.out().matches("(?s).*ratio +\\d+\\.\\d\\dx +\\d+\\.\\d\\dx +greedy ids identical: yes.*"), run.out());
    }

    @Test
    void perfModel_withoutTorch_timesThisProjectAndSaysTheReferenceIsUnavailable() {
        CliRun run = CliRun.of("perf", "model", "--sizes", "tiny", "--prompt-tokens", "4", "--new-tokens", "2",
                "--repeat", "1", "--warmup-seconds", "0", "--python", "/nonexistent/python");
        assertEquals(ExitCode.UNAVAILABLE, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().matches("(?s).*renderloop \\(DJL, \\d+ threads?\\) +\\d+\\.\\d +\\d+\\.\\d.*"), run.out());
        assertTrue(run.out().contains("transformers side unavailable"), run.out());
    }

    @Test
    void perfModel_unknownSize_isAUsageError() {
        CliRun run = CliRun.of("perf", "model", "--sizes", "tiny,7b");
        assertEquals(ExitCode.USAGE, run.exitCode());
        assertTrue(run.err().contains("unknown size '7b'"), run.err());
        CliRun repeat = CliRun.of("perf", "model", "--repeat", "0");
        assertEquals(ExitCode.USAGE, repeat.exitCode());
        assertTrue(repeat.err().contains("--repeat must be at least 1"), repeat.err());
    }

    private static boolean importsTorch() throws Exception {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch, transformers").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
