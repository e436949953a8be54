package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A benchmark killed with SIGKILL mid-run and started again loses nothing, repeats nothing, and ends with the same numbers. */
class BenchResumeIT {
    @TempDir
    Path dir;

    private List<String> command(Path out) {
        return KilledRun.command("bench", "--suite", "rdkit", "--policy", "oracle-defects:7", "--strategy", "vanilla,ritl",
                "--out", out.toString(), "--no-cache", "--concurrency", "1");
    }

    private static Map<String, Integer> attemptsPerPair(Path run) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.resolve("results.duckdb").toAbsolutePath());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT task_id || '/' || strategy, count(*), max(seq) FROM attempts GROUP BY 1")) {
            while (r.next()) {
                assertEquals(r.getInt(2) - 1, r.getInt(3), "attempt numbers of " + r.getString(1) + " are 0..n-1, none twice");
                out.put(r.getString(1), r.getInt(2));
            }
        }
        return out;
    }

    private static int finals(Path run) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + run.resolve("results.duckdb").toAbsolutePath());
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM finals")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** summary.json without what legitimately differs between two runs: wall-clock latency and provenance. */
    private static JsonNode numbers(Path run) throws Exception {
        ObjectNode s = (ObjectNode) new ObjectMapper().readTree(run.resolve("summary.json").toFile());
        s.remove("provenance");
        s.remove("run");
        for (JsonNode strategy : s.path("metrics")) {
            ((ObjectNode) strategy.path("all")).remove("latency_ms");
            for (JsonNode level : strategy.path("levels")) {
                ((ObjectNode) level).remove("latency_ms");
            }
        }
        return s;
    }

    @Test
    void killedAndRerunEqualsUninterrupted() throws Exception {
        Path whole = dir.resolve("whole");
        KilledRun.Finished uninterrupted = KilledRun.toEnd(command(whole));
        assertEquals(0, uninterrupted.exitCode(), uninterrupted.out());

        Path killed = dir.resolve("killed");
        Pattern progress = Pattern.compile("\\] (\\d+)/44 pairs");
        KilledRun.untilKilled(command(killed), line -> {
            Matcher m = progress.matcher(line);
            return m.find() && Integer.parseInt(m.group(1)) >= 10; // mid-pair
        });
        int doneAtKill = finals(killed);
        assertTrue(doneAtKill > 0 && doneAtKill < 44, "killed mid-run: " + doneAtKill + " of 44 pairs done");

        KilledRun.Finished second = KilledRun.toEnd(command(killed));
        String resumed = second.out();
        assertEquals(0, second.exitCode(), resumed);
        Matcher m = Pattern.compile("44 pairs \\((\\d+) already done, (\\d+) run now\\)").matcher(resumed);
        assertTrue(m.find(), resumed);
        int already = Integer.parseInt(m.group(1));
        assertTrue(already >= doneAtKill, "every pair finished before the kill was kept: " + already + " >= " + doneAtKill);
        assertEquals(44, already + Integer.parseInt(m.group(2)), "the rest ran once");

        assertEquals(44, finals(killed));
        assertEquals(attemptsPerPair(whole), attemptsPerPair(killed), "the same attempts, none lost, none repeated");
        assertEquals(numbers(whole), numbers(killed), "identical final numbers");
    }
}
