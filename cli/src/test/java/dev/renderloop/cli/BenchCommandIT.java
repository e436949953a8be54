package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop bench}, {@code compare} and {@code demo} in-process on the svg suite. */
class BenchCommandIT {
    @TempDir
    Path dir;

    @Test
    void benchWritesTheSummaryAndCompareReadsIt() throws Exception {
        Path run = dir.resolve("run");
        CliRun bench = CliRun.of("bench", "--suite", "svg", "--limit", "6", "--policy", "oracle-defects:1", "--strategy", "vanilla,ritl,ritl-doc",
                "--out", run.toString(), "--no-cache", "--quiet");
        assertEquals(0, bench.exitCode(), bench.err());
        assertTrue(bench.out().contains("12 pairs (0 already done, 12 run now)"), bench.out());
        assertTrue(bench.out().contains("ritl-doc: not applicable"), bench.out());
        JsonNode s = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
        assertEquals(6, s.path("metrics").path("ritl").path("all").path("n").asInt());
        assertTrue(s.path("metrics").path("ritl").path("all").path("vs_paper").isNull());
        assertTrue(s.path("unavailable").path("vs_paper").asText().contains("CLIP"));
        assertTrue(s.path("baseline").asBoolean());
        assertTrue(Files.isRegularFile(run.resolve("artifacts/svg-001/reference/frame_00000.png")));

        CliRun again = CliRun.of("bench", "--suite", "svg", "--limit", "6", "--policy", "oracle-defects:1", "--strategy", "vanilla,ritl,ritl-doc",
                "--out", run.toString(), "--no-cache", "--quiet");
        assertTrue(again.out().contains("12 pairs (12 already done, 0 run now)"), again.out());

        CliRun compare = CliRun.of("compare", run.toString(), run.toString());
        assertEquals(0, compare.exitCode(), compare.err());
        assertEquals(5, compare.out().lines().count(), compare.out()); // header + 2 strategies x 2 runs
        assertTrue(compare.out().contains("oracle-defects:1 (baseline)"));
    }

    @Test
    void badInputsAreUsageErrors() throws Exception {
        Path run = dir.resolve("other");
        assertEquals(0, CliRun.of("bench", "--suite", "svg", "--limit", "2", "--policy", "oracle", "--strategy", "vanilla",
                "--out", run.toString(), "--no-cache", "--quiet").exitCode());
        Files.writeString(Files.createDirectories(dir.resolve("broken")).resolve("summary.json"), "{not json");
        record Case(List<String> args, String message) {
        }
        List<Case> cases = List.of(
                new Case(List.of("bench", "--suite", "nope", "--policy", "oracle"), "unknown suite 'nope'"),
                new Case(List.of("bench", "--suite", "svg", "--policy", "gpt"), "bad policy spec"),
                new Case(List.of("bench", "--suite", "svg", "--policy", "oracle", "--strategy", "ritl,magic"), "unknown strategy 'magic'"),
                new Case(List.of("bench", "--suite", "svg", "--policy", "oracle", "--level", "Expert"), "no task"),
                new Case(List.of("bench", "--suite", "svg", "--limit", "2", "--policy", "oracle-defects:3", "--strategy", "vanilla",
                        "--out", run.toString(), "--no-cache", "--quiet"), "holds a different run"),
                new Case(List.of("compare", dir.resolve("missing").toString()), "no summary.json"),
                new Case(List.of("compare", dir.resolve("broken").toString()), "unreadable"));
        for (Case c : cases) {
            CliRun r = CliRun.of(c.args().toArray(String[]::new));
            assertEquals(2, r.exitCode(), c.args() + ": " + r.err());
            assertTrue(r.err().contains(c.message()), c.args() + ": " + r.err());
            assertFalse(r.err().contains("internal error"));
        }
    }

    @Test
    void demoRunsBothSuitesWithBothPolicies() {
        CliRun demo = CliRun.of("demo", "--limit", "3", "--out", dir.resolve("demo").toString(), "--no-cache");
        assertEquals(0, demo.exitCode(), demo.err());
        for (String run : List.of("svg-retrieval", "svg-oracle-defects_1", "smiles-retrieval", "smiles-oracle-defects_1")) {
            assertTrue(Files.isRegularFile(dir.resolve("demo").resolve(run).resolve("summary.json")), run + "\n" + demo.out());
        }
        assertTrue(demo.out().contains("retrieval (baseline) bundled:svg"), demo.out());
    }
}
