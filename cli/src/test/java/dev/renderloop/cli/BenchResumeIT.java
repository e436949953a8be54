package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A benchmark killed with SIGKILL mid-run and started again loses nothing, repeats nothing, and ends with the same numbers. */
class BenchResumeIT {
    @TempDir
    Path dir;

    private List<String> command(Path out) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "-jar", Path.of("target/renderloop.jar").toAbsolutePath().toString(), "bench", "--suite", "rdkit",
                "--policy", "oracle-defects:7", "--strategy", "vanilla,ritl", "--out", out.toString(), "--no-cache",
                "--concurrency", "1");
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
        Process uninterrupted = new ProcessBuilder(command(whole)).redirectErrorStream(true).start();
        String log = new String(uninterrupted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, uninterrupted.waitFor(), log);

        Path killed = dir.resolve("killed");
        Process first = new ProcessBuilder(command(killed)).redirectErrorStream(true).start();
        List<String> seen = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                seen.add(line);
                Matcher progress = Pattern.compile("\\] (\\d+)/44 pairs").matcher(line);
                if (progress.find() && Integer.parseInt(progress.group(1)) >= 10) {
                    first.destroyForcibly(); // SIGKILL: no shutdown hook, no close, mid-pair
                    break;
                }
            }
        }
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertNotEquals(0, first.exitValue(), "killed, not finished: " + seen);
        int doneAtKill = finals(killed);
        assertTrue(doneAtKill > 0 && doneAtKill < 44, "killed mid-run: " + doneAtKill + " of 44 pairs done");

        Process second = new ProcessBuilder(command(killed)).redirectErrorStream(true).start();
        String resumed = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, second.waitFor(), resumed);
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
