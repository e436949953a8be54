package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The two commands of the reward service: bad options, and a short bounded load test on loopback. */
class ServeRewardCommandIT {
    @Test
    void badOptionsAreRefusedWithAUsageError() {
        CliRun r = CliRun.of("serve-reward", "--port", "70000");
        assertEquals(ExitCode.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("port"), r.err());
        CliRun root = CliRun.of("serve-reward", "--image-root", "/no/such/dir", "--port", "0");
        assertEquals(ExitCode.USAGE, root.exitCode(), root.err());
        assertTrue(root.err().contains("not a directory"), root.err());
        CliRun perf = CliRun.of("perf", "serve-reward", "--seconds", "0");
        assertEquals(ExitCode.USAGE, perf.exitCode(), perf.err());
        for (String warm : new String[] {"2", "601", "NaN"}) {
            CliRun w = CliRun.of("perf", "serve-reward", "--warm-max-seconds", warm);
            assertEquals(ExitCode.USAGE, w.exitCode(), warm + ": " + w.err());
            assertTrue(w.err().contains("--warm-max-seconds in 3..600"), w.err());
        }
        CliRun domains = CliRun.of("perf", "serve-reward", "--domains", "manim");
        assertEquals(ExitCode.USAGE, domains.exitCode(), domains.err());
        assertTrue(CliRun.of("serve-reward", "--help").out().contains("/v1/score"));
    }

    @Test
    void aShortLoadTestReportsEveryFigure() {
        CliRun r = CliRun.of("perf", "serve-reward", "--seconds", "2", "--overload-seconds", "2", "--domains", "svg",
                "--no-cache", "--warm-max-seconds", "3");
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        for (String s : new String[] {"one replica on 127.0.0.1:", "RSS before", "service", "published", "service/published",
                "sustained", "p99", "3x overload", "answers by HTTP status", "only 200 and 429 answers: yes", "RSS warm", "RSS after",
                "once idle after it", "CPU per reward, published/service", "garbage collector ", "untimed batches in ", "the JIT compiling < 2%"}) {
            assertTrue(r.out().contains(s), s + " missing from\n" + r.out());
        }
    }
}
