package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code renderloop data build} killed with SIGKILL in the middle of its defect renders (no shutdown hook, no close)
 * and run again with the same command: it resumes from its build store and writes the same dataset, byte for byte,
 * as a build that was never interrupted.
 */
class DataBuildResumeIT {
    private static final Pattern DEFECTS = Pattern.compile("render defects \\[[#.]*\\] (\\d+)/(\\d+) programs");

    @TempDir
    Path dir;

    private List<String> command(Path out) {
        return KilledRun.command("data", "build", "--from", "svg", "--out", out.toString(), "--no-cache", "--concurrency", "1",
                "--defects", "3", "--seed", "5");
    }

    /** Every file of the dataset but the build store and the files that hold wall-clock figures. */
    private static List<Path> datasetFiles(Path out) throws Exception {
        try (Stream<Path> files = Files.walk(out)) {
            return files.filter(Files::isRegularFile).map(out::relativize)
                    .filter(p -> !p.toString().startsWith("build.duckdb") && !p.toString().equals("report.json"))
                    .sorted().toList();
        }
    }

    /** report.json without this invocation's own figures and the command (its --out differs). */
    private static JsonNode counts(Path out) throws Exception {
        ObjectNode r = (ObjectNode) new ObjectMapper().readTree(out.resolve("report.json").toFile());
        r.remove(List.of("command", "renders_this_run", "wall_seconds_this_run", "pairs_per_second_this_run"));
        return r;
    }

    @Test
    void killedMidBuildAndRerunWritesTheSameDataset() throws Exception {
        Path whole = dir.resolve("whole");
        KilledRun.Finished uninterrupted = KilledRun.toEnd(command(whole));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.out());

        Path killed = dir.resolve("killed");
        List<String> seen = KilledRun.untilKilled(command(killed), line -> {
            Matcher m = DEFECTS.matcher(line);  // in the middle of the defect renders
            return m.find() && Integer.parseInt(m.group(1)) >= 5 && Integer.parseInt(m.group(1)) < Integer.parseInt(m.group(2));
        });
        Matcher atKill = DEFECTS.matcher(seen.getLast());
        assertTrue(atKill.find());
        int doneAtKill = Integer.parseInt(atKill.group(1));
        assertFalse(Files.exists(killed.resolve("optimise.jsonl")), "nothing is exported before the build ends");

        KilledRun.Finished second = KilledRun.toEnd(command(killed));
        String resumed = second.out();
        assertEquals(0, second.exitCode(), resumed);
        assertTrue(resumed.contains("render references resuming: 26 of 26 programs already done"), resumed);
        Matcher m = Pattern.compile("render defects resuming: (\\d+) of 26 programs already done").matcher(resumed);
        assertTrue(m.find(), resumed);
        assertTrue(Integer.parseInt(m.group(1)) >= doneAtKill, "every program finished before the kill was kept: "
                + m.group(1) + " >= " + doneAtKill);

        List<Path> files = datasetFiles(whole);
        assertEquals(files, datasetFiles(killed), "the same files");
        assertTrue(files.contains(Path.of("optimise.jsonl")) && files.contains(Path.of("optimise.parquet")), files.toString());
        for (Path f : files) {
            if (f.toString().endsWith(".parquet")) {
                continue; // Parquet's footer names the writer and may differ in metadata; its rows are the JSONL's (DatasetBuilderTest)
            }
            if (f.toString().equals("samples.html")) { // names the command, whose --out differs
                assertEquals(Files.readString(whole.resolve(f)).replace(whole.toString(), "OUT"),
                        Files.readString(killed.resolve(f)).replace(killed.toString(), "OUT"), f.toString());
                continue;
            }
            if (f.toString().equals("README.md")) {
                // the card's last line is this invocation's own renders and time
                assertEquals(Files.readString(whole.resolve(f)).replace(whole.toString(), "OUT").replaceAll("This invocation: .*", ""),
                        Files.readString(killed.resolve(f)).replace(killed.toString(), "OUT").replaceAll("This invocation: .*", ""),
                        f.toString());
                continue;
            }
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(killed.resolve(f))),
                    f + " differs between the uninterrupted and the resumed build");
        }
        assertEquals(counts(whole), counts(killed), "the same counts, defect histogram and rejection reasons");
    }
}
