package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop data build} in-process: bad input gives a clear error and exit 2; a small build prints its counts. */
class DataBuildCommandTest {
    @TempDir
    Path dir;

    @Test
    void unknownSourceIsAUsageError() {
        CliRun r = CliRun.of("data", "build", "--from", "nosuch", "--out", dir.resolve("x").toString());
        assertEquals(ExitCode.USAGE, r.exitCode());
        assertTrue(r.err().contains("unknown suite 'nosuch'"), r.err());
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void badThresholdIsAUsageError() {
        CliRun r = CliRun.of("data", "build", "--from", "svg", "--visible-below", "2", "--out", dir.resolve("x").toString());
        assertEquals(ExitCode.USAGE, r.exitCode());
        assertTrue(r.err().contains("visible-difference threshold"), r.err());
    }

    @Test
    void aSmallBuildPrintsCountsAndWritesTheCard() throws Exception {
        Path out = dir.resolve("ds");
        CliRun r = CliRun.of("data", "build", "--from", "smiles", "--limit", "4", "--defects", "1", "--quiet", "--cache",
                dir.resolve("cache").toString(), "--out", out.toString());
        assertEquals(ExitCode.OK, r.exitCode(), r.err());
        assertTrue(r.out().contains("smiles"), r.out());
        assertTrue(r.out().contains("pairs/s"), r.out());
        assertTrue(Files.readString(out.resolve("README.md")).contains("renderloop data build --from smiles --limit 4"));
        CliRun again = CliRun.of("data", "build", "--from", "smiles", "--limit", "4", "--defects", "2", "--quiet", "--out", out.toString());
        assertEquals(ExitCode.USAGE, again.exitCode());
        assertTrue(again.err().contains("other sources or options"), again.err());
    }
}
