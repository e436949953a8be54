package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code renderloop perf train} against the real in-process model (the repository's tiny Qwen2): with no usable
 * Python, this project is timed alone and TRL reported unavailable (exit 3, never a made-up ratio); with
 * {@code RENDERLOOP_HF_PYTHON} naming an interpreter with torch, transformers, peft and trl, both trainers run and
 * the ratio row is printed from the two measured step times.
 */
class PerfTrainCommandIT {
    static final String MODEL = "../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat";

    @Test
    void withoutTrlOnlyThisProjectIsTimedAndTheRunSaysSo() {
        CliRun r = CliRun.of("perf", "train", "--model", MODEL, "--python", "/nonexistent/python3", "--steps", "1",
                "--warmup-steps", "0", "--max-new-tokens", "4");
        assertEquals(ExitCode.UNAVAILABLE, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("reward: FIXED, no rendering"), r.out());
        assertTrue(r.out().contains("TRL GRPOTrainer") && r.out().contains("unavailable"), r.out());
        assertTrue(r.out().contains("TRL side unavailable: only this project was timed"), r.out());
        // This project's row holds a measured, positive step time.
        Matcher ours = Pattern.compile("renderloop \\(DJL, \\d+\\+\\d+ threads\\)\\s*\\|?\\s*([0-9.]+)").matcher(r.out());
        assertTrue(ours.find(), r.out());
        assertTrue(Double.parseDouble(ours.group(1)) > 0, r.out());
        assertTrue(!r.out().contains("ratio (renderloop / TRL)"), "no ratio without TRL's side");
    }

    @Test
    void badArgumentsAreUsageErrors() {
        CliRun steps = CliRun.of("perf", "train", "--model", MODEL, "--steps", "0");
        assertEquals(ExitCode.USAGE, steps.exitCode(), steps.err());
        assertTrue(steps.err().contains("--steps"), steps.err());
        CliRun model = CliRun.of("perf", "train", "--model", "no/such/model");
        assertEquals(ExitCode.USAGE, model.exitCode(), model.err());
        assertTrue(model.err().contains("is not a model folder"), model.err());
    }

    @Test
    void againstTrlBothSidesAreTimedAndTheRatioPrinted() {
        String python = System.getenv("RENDERLOOP_HF_PYTHON");
        assumeTrue(python != null && !python.isBlank(),
                "RENDERLOOP_HF_PYTHON is not set (an interpreter with torch, transformers, peft and trl)");
        CliRun r = CliRun.of("perf", "train", "--model", MODEL, "--python", python, "--steps", "1", "--warmup-steps", "1",
                "--max-new-tokens", "8");
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("ratio (renderloop / TRL)"), r.out());
        assertTrue(r.out().contains("target <= 1.0x"), r.out());
        assertTrue(r.out().contains("TRL: "), r.out());
    }
}
