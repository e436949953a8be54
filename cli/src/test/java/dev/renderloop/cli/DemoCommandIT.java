package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandIT {
    @TempDir
    Path cache;

    @Test
    void demo_rendersEveryBundledMatplotlibProgram_andReportsManimAsItIs() {
        CliRun run = CliRun.of("demo", "--cache", cache.toString());
        assertEquals(0, run.exitCode(), run.out() + run.err());
        int matplotlib = ExampleProgram.of("matplotlib").size();
        assertTrue(matplotlib >= 8);
        assertTrue(run.out().contains("sandbox: "), run.out());
        assertTrue(run.out().contains("manim: unavailable") || run.out().contains("manim: manim "), run.out());
        assertTrue(run.out().matches("(?s).*summary: \\d+ rendered, 0 failed, [12] of 2 domains available.*"), run.out());
        assertTrue(run.out().contains("summary: " + (run.out().contains("manim: unavailable") ? matplotlib
                : matplotlib + ExampleProgram.of("manim").size()) + " rendered"), run.out());
    }
}
