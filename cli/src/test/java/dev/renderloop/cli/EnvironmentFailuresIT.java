package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the environment breaks (a renderer, the model server) ends the command with a reason and a non-zero exit, never as results. */
class EnvironmentFailuresIT {
    /** Nothing listens on port 9 (discard) on a test machine: connections are refused. */
    private static final String UNREACHABLE = "openai:m@http://127.0.0.1:9/v1";

    @TempDir
    Path dir;

    private static int finals(Path run) throws Exception {
        if (!Files.exists(run.resolve("results.duckdb"))) {
            return 0;
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.resolve("results.duckdb").toAbsolutePath());
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM finals")) {
            r.next();
            return r.getInt(1);
        }
    }

    @Test
    void benchRefusesASuiteWhoseRendererIsMissing() throws Exception {
        Path run = dir.resolve("run");
        CliRun bench = CliRun.of("bench", "--suite", "rdkit", "--limit", "3", "--policy", "oracle", "--strategy", "vanilla",
                "--python", dir.resolve("no-such-python").toString(), "--out", run.toString(), "--no-cache", "--quiet");
        assertEquals(ExitCode.UNAVAILABLE, bench.exitCode(), bench.out() + bench.err());
        assertTrue(bench.err().contains("rdkit renderer cannot run on this machine"), bench.err());
        assertFalse(bench.out().contains("rsr"), "no table of zeros: " + bench.out());
        assertEquals(0, finals(run));
    }

    @Test
    void benchStopsWhenTheModelServerIsUnreachableAndResumesLater() throws Exception {
        Path run = dir.resolve("run");
        long t0 = System.nanoTime();
        CliRun bench = CliRun.of("bench", "--suite", "svg", "--limit", "4", "--policy", UNREACHABLE, "--strategy", "vanilla",
                "--concurrency", "3", "--out", run.toString(), "--no-cache", "--quiet");
        assertEquals(ExitCode.INTERNAL, bench.exitCode(), bench.out() + bench.err());
        assertTrue(bench.err().contains("transport") && bench.err().contains("run the same command again"), bench.err());
        assertFalse(bench.out().contains("vs_paper"), "no table of zeros: " + bench.out());
        assertEquals(0, finals(run), "nothing recorded as the model's");
        assertTrue((System.nanoTime() - t0) / 1e9 < 60, "stopped after a few pairs");
    }

    @Test
    void generateDoesNotRepairAnswersThatNeverCame() throws Exception {
        Path out = dir.resolve("gen");
        long t0 = System.nanoTime();
        CliRun gen = CliRun.of("generate", "--no-cache", "--domain", "svg", "--strategy", "ritl", "--policy", UNREACHABLE,
                "--out", out.toString(), "A red square");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(ExitCode.INTERNAL, gen.exitCode(), gen.out() + gen.err());
        assertTrue(gen.err().contains("gave no answer (transport)"), gen.err());
        assertFalse(gen.out().contains("repair"), "no repair rounds: " + gen.out());
        assertTrue(seconds < 30, "one request's retries, not one per repair round: " + seconds + " s");
    }
}
