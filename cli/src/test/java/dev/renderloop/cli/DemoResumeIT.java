package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void eachRunsReportIsWrittenOnce_whenItsRunEnds() throws Exception {
        Path out = dir.resolve("demo-once");
        CliRun demo = CliRun.of("demo", "--limit", "1", "--out", out.toString(), "--no-cache");
        assertEquals(ExitCode.OK, demo.exitCode(), demo.out() + demo.err());
        List<Path> reports = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^report: (.+)$").matcher(demo.out());
        while (m.find()) {
            reports.add(Path.of(m.group(1)));
        }
        assertTrue(reports.size() >= 2, demo.out());
        for (Path r : reports) {
            assertTrue(Files.isRegularFile(r), "printed report exists: " + r);
        }
        // Bench writes a run's report as the run ends. The first run's report must therefore be older than the last
        // run's summary.json; it was not when demo wrote every report a second time after all runs.
        Path firstReport = reports.stream().min(Comparator.comparing(DemoResumeIT::modified)).orElseThrow();
        Path lastSummary = reports.stream().map(r -> r.getParent().getParent().resolve("summary.json"))
                .max(Comparator.comparing(DemoResumeIT::modified)).orElseThrow();
        assertTrue(modified(firstReport).compareTo(modified(lastSummary)) < 0,
                firstReport + " was written after the last run's " + lastSummary);
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
