package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code renderloop train report RUN}: the page drawn from a recorded GRPO run's metrics.jsonl (fixture
 * {@code train-run/metrics.jsonl}, 12 steps of the ColourToy GRPO run) and every bad input: a usage error naming the
 * problem, or a warning per unreadable line with the rest still drawn.
 */
class TrainReportCommandTest {
    @TempDir
    Path dir;

    private Path fixtureRun() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        try (var in = TrainReportCommandTest.class.getResourceAsStream("train-run/metrics.jsonl")) {
            Files.copy(in, run.resolve("metrics.jsonl"));
        }
        return run;
    }

    @Test
    void drawsEveryKnownCurveOfARecordedRun() throws Exception {
        Path run = fixtureRun();
        CliRun r = CliRun.of("train", "report", run.toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        Path page = run.resolve("report.html");
        assertEquals(page.toString(), r.out().strip());
        String html = Files.readString(page);
        assertTrue(html.contains("12 step(s) read from metrics.jsonl, steps 1 to 12"), html);
        for (String title : List.of("Reward (mean, band: ± std)", "Reward components (means)", "Render success rate", "Loss",
                "KL to the reference (k3)", "Clip fraction", "Entropy (estimate, nats/token)", "Step time split",
                "Gradient norm (before clipping)", "Learning rate")) {
            assertTrue(html.contains("aria-label=\"" + TrainReport.escape(title) + "\""), "no chart " + title);
        }
        assertTrue(html.contains("<polygon class=\"band\""), "the reward chart has its ± std band");
        assertFalse(html.contains("<script"), "a static page");
        String withoutNamespace = html.replace("http://www.w3.org/2000/svg", "");
        assertFalse(withoutNamespace.contains("http://") || withoutNamespace.contains("https://"), "nothing fetched from the network");
        // The summary row of lr holds the file's first and last values: 0.029375 at step 1.
        Matcher lr = Pattern.compile("<tr><td>lr</td><td class=\"num\">([^<]+)</td>").matcher(html);
        assertTrue(lr.find(), "lr has a summary row");
        assertEquals(TrainReport.number(0.029375), lr.group(1));
        // Each series' path has one point per step with a value: 12 for the reward mean.
        Matcher path = Pattern.compile("<path class=\"series\" d=\"([^\"]+)\" stroke=\"[^\"]+\" stroke-width=\"1.6\" fill=\"none\"><title>reward_mean</title>")
                .matcher(html);
        assertTrue(path.find());
        assertEquals(12, path.group(1).chars().filter(c -> c == 'M' || c == 'L').count());
        assertTrue(r.err().isBlank(), r.err());
    }

    @Test
    void aCutShortOrCorruptLineIsSkippedWithAWarningNamingIt() throws Exception {
        Path run = fixtureRun();
        Path metrics = run.resolve("metrics.jsonl");
        // A run killed mid-write leaves a half line; a foreign tool may leave a line without a step.
        Files.writeString(metrics, "[1,2]\n{\"loss\": 1.0}\n\n{\"step\":13,\"loss\":0.5,\"kl\"", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        CliRun r = CliRun.of("train", "report", run.toString(), "--out", dir.resolve("out/page.html").toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("line 13 skipped: not a JSON object"), r.err());
        assertTrue(r.err().contains("line 14 skipped: no integer \"step\""), r.err());
        assertTrue(r.err().contains("line 16 skipped: not JSON"), r.err());
        String html = Files.readString(dir.resolve("out/page.html"));
        assertTrue(html.contains("3 line(s) skipped:"), html);
        assertTrue(html.contains("12 step(s) read"), html);
        assertFalse(Files.exists(run.resolve("report.html")), "--out is where the page goes");
    }

    @Test
    void aGapInASeriesBreaksItsLine() throws Exception {
        Path run = Files.createDirectories(dir.resolve("gap"));
        Files.writeString(run.resolve("metrics.jsonl"), """
                {"step":1,"loss":1.0,"kl":0.1}
                {"step":2,"loss":0.8}
                {"step":3,"loss":0.6,"kl":0.3}
                {"step":4,"loss":"NaN","kl":0.4}
                """);
        CliRun r = CliRun.of("train", "report", run.toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        String html = Files.readString(run.resolve("report.html"));
        Matcher kl = Pattern.compile("d=\"([^\"]+)\"[^>]*><title>kl</title>").matcher(html);
        assertTrue(kl.find(), html);
        // steps 1 | 3 4: two pieces, the second with two points
        assertEquals(2, kl.group(1).chars().filter(c -> c == 'M').count(), kl.group(1));
        assertEquals(1, kl.group(1).chars().filter(c -> c == 'L').count(), kl.group(1));
        assertTrue(html.contains("<tr><td>kl</td><td class=\"num\">0.1000</td><td class=\"num\">0.4000</td>"), html);
    }

    @Test
    void badRunFoldersAreUsageErrors() throws Exception {
        CliRun missing = CliRun.of("train", "report", dir.resolve("nope").toString());
        assertEquals(ExitCode.USAGE, missing.exitCode());
        assertTrue(missing.err().contains("no run folder"), missing.err());

        Path file = Files.writeString(dir.resolve("file"), "x");
        CliRun notDir = CliRun.of("train", "report", file.toString());
        assertEquals(ExitCode.USAGE, notDir.exitCode());
        assertTrue(notDir.err().contains("it is not a folder"), notDir.err());

        Path empty = Files.createDirectories(dir.resolve("empty"));
        CliRun noMetrics = CliRun.of("train", "report", empty.toString());
        assertEquals(ExitCode.USAGE, noMetrics.exitCode());
        assertTrue(noMetrics.err().contains("has no metrics.jsonl"), noMetrics.err());

        Files.writeString(empty.resolve("metrics.jsonl"), "");
        CliRun emptyMetrics = CliRun.of("train", "report", empty.toString());
        assertEquals(ExitCode.USAGE, emptyMetrics.exitCode());
        assertTrue(emptyMetrics.err().contains("holds no readable step (it is empty)"), emptyMetrics.err());

        Files.writeString(empty.resolve("metrics.jsonl"), "garbage\n");
        CliRun garbage = CliRun.of("train", "report", empty.toString());
        assertEquals(ExitCode.USAGE, garbage.exitCode());
        assertTrue(garbage.err().contains("1 line(s) skipped: line 1 skipped: not JSON"), garbage.err());
        assertFalse(Files.exists(empty.resolve("report.html")), "no page for a run with nothing to draw");

        CliRun noArg = CliRun.of("train", "report");
        assertEquals(ExitCode.USAGE, noArg.exitCode());
        assertTrue(noArg.err().contains("RUN"), noArg.err());
    }
}
