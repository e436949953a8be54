package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.task.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Suites by name, including ManimBench from the shared training split in both published forms. */
class SuiteSourceTest {
    static final String JSONL = "../../shared/data/manimbench/train.jsonl";
    static final String PARQUET = "../../shared/data/manimbench/train.parquet";

    /** A user's clone has no ../shared (CI's has): ManimBench is not in the repository (README, "ManimBench"). */
    static void assumeManimBench(String file) {
        Path p = Path.of(file);
        Assumptions.assumeTrue(Files.isRegularFile(p), "ManimBench file not found at " + p.toAbsolutePath().normalize()
                + " (../shared is absent: a user's clone has none, the README's \"ManimBench\" section says where to get it; CI clones beside ../shared)");
    }

    @Test
    void manimBenchParquetAndJsonlHoldTheSameTasks() throws Exception {
        assumeManimBench(JSONL);
        assumeManimBench(PARQUET);
        List<Task> jsonl = SuiteSource.load("manimbench:" + JSONL, null, null, null).tasks();
        List<Task> parquet = SuiteSource.load("manimbench:" + PARQUET, null, null, null).tasks();
        assertEquals(316, jsonl.size());
        assertEquals(jsonl.size(), parquet.size());
        for (int i = 0; i < jsonl.size(); i++) {
            assertEquals(jsonl.get(i).id(), parquet.get(i).id());
            assertEquals(jsonl.get(i).description().strip(), parquet.get(i).description().strip(), jsonl.get(i).id());
            assertEquals(jsonl.get(i).code(), parquet.get(i).code());
            assertEquals(jsonl.get(i).level(), parquet.get(i).level());
        }
    }

    @Test
    void filtersBySplitLevelAndLimit() throws Exception {
        assumeManimBench(JSONL);
        SuiteSource.Loaded advanced = SuiteSource.load("manimbench:" + JSONL, "train", "advanced", null);
        assertEquals(14, advanced.tasks().size());
        assertTrue(advanced.tasks().stream().allMatch(t -> t.level().equals("Advanced")));
        assertEquals("manimbench:train.jsonl/train/advanced", advanced.name());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("manimbench:" + JSONL, "test", null, null))
                .getMessage().contains("no task"));
    }

    @Test
    void limitsBundledSuites() throws Exception {
        assertEquals(5, SuiteSource.load("svg", null, null, 5).tasks().size());
        assertEquals(SuiteSource.load("svg", null, null, null).tasks(), SuiteSource.load("bundled:svg", null, null, null).tasks());
    }

    @Test
    void badSuitesAreClearErrors() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("nope", null, null, null))
                .getMessage().contains("unknown suite 'nope'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("manimbench:/no/file.jsonl", null, null, null))
                .getMessage().contains("no ManimBench file"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("svg", "train", null, null))
                .getMessage().contains("ManimBench suites only"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("svg", null, null, 0))
                .getMessage().contains("--limit"));
    }
}
