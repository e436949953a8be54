package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop report}: in-process, on small run folders made here (one task, one strategy). */
class ReportCommandTest {
    @TempDir
    Path tmp;

    @Test
    void report_oneRun_writesIndexAndPrintsItsPath() throws Exception {
        Path run = run("r1", "vanilla");
        CliRun r = CliRun.of("report", run.toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        Path index = run.resolve("report").resolve("index.html");
        assertEquals(index.toString(), r.out().strip());
        assertTrue(Files.readString(index).contains("<table id=\"metrics\">"));
        assertTrue(Files.isRegularFile(run.resolve("report/tasks/t1.html")));
        assertFalse(Files.exists(run.resolve("report/comparison.html")), "one run: no comparison page unless --out");
    }

    @Test
    void report_twoRuns_alsoWritesComparison() throws Exception {
        Path a = run("ra", "vanilla");
        Path b = run("rb", "ritl");
        Path out = tmp.resolve("cmp");
        CliRun r = CliRun.of("report", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
        assertEquals(3, r.out().strip().lines().count(), r.out());
        String page = Files.readString(out.resolve("comparison.html"));
        assertTrue(page.contains("<td>vanilla</td>") && page.contains("<td>ritl</td>"), page);
        CliRun noOut = CliRun.of("report", a.toString(), b.toString());
        assertEquals(ExitCode.OK, noOut.exitCode(), noOut.err());
        assertTrue(Files.isRegularFile(a.resolve("report/comparison.html")), "default: the first run's report folder");
    }

    @Test
    void report_badRunFolders_areUsageErrors() throws Exception {
        CliRun missing = CliRun.of("report", tmp.resolve("absent").toString());
        assertEquals(ExitCode.USAGE, missing.exitCode());
        assertTrue(missing.err().contains("no run folder at"), missing.err());

        Path noDb = Files.createDirectories(tmp.resolve("nodb"));
        Files.writeString(noDb.resolve("summary.json"), "{}");
        CliRun r2 = CliRun.of("report", noDb.toString());
        assertEquals(ExitCode.USAGE, r2.exitCode());
        assertTrue(r2.err().contains("no results.duckdb"), r2.err());

        Path corrupt = run("corrupt", "vanilla");
        Files.writeString(corrupt.resolve("summary.json"), "{\"run\": [1, 2");
        CliRun r3 = CliRun.of("report", corrupt.toString());
        assertEquals(ExitCode.USAGE, r3.exitCode());
        assertTrue(r3.err().contains("summary.json is not valid JSON"), r3.err());
        assertFalse(Files.exists(corrupt.resolve("report")), "nothing written for a bad run");

        CliRun none = CliRun.of("report");
        assertEquals(ExitCode.USAGE, none.exitCode());
    }

    /** A run folder with one task (no frames) and one final answer for {@code strategy}. */
    private Path run(String name, String strategy) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        String schema;
        try (InputStream s = ReportCommandTest.class.getResourceAsStream("/dev/renderloop/bench/schema.sql")) {
            schema = new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("results.duckdb").toAbsolutePath());
             Statement st = c.createStatement()) {
            for (String sql : schema.split(";")) {
                if (sql.lines().anyMatch(l -> !l.isBlank() && !l.strip().startsWith("--"))) {
                    st.execute(sql);
                }
            }
            st.execute("INSERT INTO tasks VALUES ('t1', 'svg', 'easy', 'a circle', '<svg/>', 'ok', NULL, '[]')");
            st.execute("INSERT INTO finals (task_id, strategy, level, success, repairs, attempts, prompt_tokens, completion_tokens, "
                    + "policy_ms, render_ms, wall_ms, final_code, final_frames, unavailable, vs_corrected) VALUES ('t1', '" + strategy
                    + "', 'easy', true, 0, 1, 10, 5, 100, 20, 130, '<svg></svg>', '[]', '{}', 0.75)");
        }
        Files.writeString(dir.resolve("summary.json"), """
                {"run": "%s", "suite": "bundled:svg", "policy": "oracle", "baseline": true, "strategies": ["%s"],
                 "metrics": {"%s": {"all": {"n": 1, "rsr": {"mean": 1.0, "ci95": [1.0, 1.0]}}}}}
                """.formatted(name, strategy, strategy));
        return dir;
    }
}
