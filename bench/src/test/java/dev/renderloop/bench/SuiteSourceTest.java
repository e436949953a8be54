package dev.renderloop.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.task.SharedManimBench;
import dev.renderloop.task.Task;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Suites by name, including ManimBench from the shared training split in both published forms. */
class SuiteSourceTest {
    @Test
    void manimBenchParquetAndJsonlHoldTheSameTasks() throws Exception {
        String jsonlFile = SharedManimBench.assume("train.jsonl").toString();
        String parquetFile = SharedManimBench.assume("train.parquet").toString();
        List<Task> jsonl = SuiteSource.load("manimbench:" + jsonlFile, null, null, null).tasks();
        List<Task> parquet = SuiteSource.load("manimbench:" + parquetFile, null, null, null).tasks();
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
        String jsonl = SharedManimBench.assume("train.jsonl").toString();
        SuiteSource.Loaded advanced = SuiteSource.load("manimbench:" + jsonl, "train", "advanced", null);
        assertEquals(14, advanced.tasks().size());
        assertTrue(advanced.tasks().stream().allMatch(t -> t.level().equals("Advanced")));
        assertEquals("manimbench:train.jsonl/train/advanced", advanced.name());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SuiteSource.load("manimbench:" + jsonl, "test", null, null))
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
