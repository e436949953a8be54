package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code renderloop train}'s bad inputs that are refused before a model is loaded: each is a usage error (exit 2) with
 * a message naming the problem, and the run folder is left as it was.
 */
class TrainCommandTest {
    static final String MODEL = "../model/src/test/resources/dev/renderloop/model/qwen2-tiny-chat";

    @TempDir
    Path dir;

    private CliRun sft(String... more) {
        String[] base = {"train", "sft", "--model", MODEL, "--out", dir.resolve("run").toString()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliRun.of(all);
    }

    private CliRun grpo(String... more) {
        String[] base = {"train", "grpo", "--model", MODEL, "--out", dir.resolve("run").toString(), "--suite", "svg"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliRun.of(all);
    }

    private static void usage(CliRun run, String fragment) {
        assertEquals(ExitCode.USAGE, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains(fragment), run.err());
    }

    @Test
    void badPresetIsAUsageErrorNamingThePresets() {
        usage(sft("--suite", "svg", "--preset", "paper"), "expected one of [trl, manimtrainer]");
        assertFalse(Files.exists(dir.resolve("run")));
    }

    @Test
    void exactlyOneOfSuiteAndDataIsNeeded() {
        usage(sft(), "give either --suite or --data");
        usage(sft("--suite", "svg", "--data", "x.jsonl"), "give either --suite or --data");
        usage(grpo("--data", "x.jsonl"), "not --data");
    }

    @Test
    void missingOrUnknownDataIsAUsageError() {
        usage(sft("--data", dir.resolve("none.jsonl").toString()), "no such file");
        usage(sft("--data", dir.toString()), "not a regular file");
        usage(sft("--suite", "nosuchsuite"), "unknown suite");
    }

    @Test
    void theCorpusMustBeJsonlOrParquetInTheChatLayout() throws Exception {
        Path csv = Files.writeString(dir.resolve("c.csv"), "a,b\n");
        usage(sft("--data", csv.toString()), "expected a .jsonl or .parquet");
        Path bad = Files.writeString(dir.resolve("c.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n");
        usage(sft("--data", bad.toString()), "c.jsonl:1");
        Path images = Files.writeString(dir.resolve("i.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"<image>\"},"
                + " {\"role\": \"assistant\", \"content\": \"x\"}], \"images\": [\"images/a.png\"]}\n");
        usage(sft("--data", images.toString()), "reads text only");
        Path parquet = Files.writeString(dir.resolve("p.parquet"), "not parquet");
        usage(sft("--data", parquet.toString()), "not a readable Parquet file");
    }

    @Test
    void aManimBenchTestSplitIsNeverTrainedOn() throws Exception {
        Path mb = Files.writeString(dir.resolve("mb.jsonl"),
                "{\"id\": \"a\", \"description\": \"d\", \"code\": \"from manim import *\", \"split\": \"train\"}\n"
                        + "{\"id\": \"b\", \"description\": \"d\", \"code\": \"from manim import *\", \"split\": \"test\"}\n");
        usage(sft("--suite", "manimbench:" + mb), "test-split");
        usage(sft("--suite", "manimbench:" + mb, "--split", "test"), "test-split");
    }

    @Test
    void thePapersVsIsRefusedForTrainingUnlessAskedForByName() {
        usage(grpo("--reward", "manim"), "vs_paper");
        usage(grpo("--reward", "manim"), "--allow-paper-vs");
        usage(grpo("--reward", "nonsense"), "unknown reward spec");
        usage(grpo("--loss-type", "ppo"), "ppo");
        usage(grpo("--scale-rewards", "sometimes"), "--scale-rewards");
        usage(grpo("--group", "1"), "group must be >= 2");
    }

    @Test
    void aRunFolderIsNeverOverwrittenAndResumeNeedsTheSameSettings() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        usage(sft("--suite", "svg", "--resume"), "holds no run to resume");
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 1}\n");
        usage(sft("--suite", "svg"), "already holds a run");
        assertEquals("{\"step\": 1}\n", Files.readString(run.resolve("metrics.jsonl")));
        // A run's settings as train.json records them; the same command with another --lr may not resume it.
        TrainOptions o = new TrainOptions();
        o.out = run;
        o.model = Path.of(MODEL);
        o.preset = "trl";
        o.steps = 100;
        var settings = o.commonSettings("sft");
        settings.put("lr", 1e-3);
        o.writeSettings(settings);
        String before = Files.readString(run.resolve("train.json"));
        usage(sft("--suite", "svg", "--resume", "--lr", "2e-3"), "the settings differ");
        CliRun differ = sft("--suite", "svg", "--resume", "--steps", "7");
        usage(differ, "steps 100 -> 7");
        assertFalse(differ.err().contains("seed"), differ.err());
        assertEquals(before, Files.readString(run.resolve("train.json")));
        Files.writeString(run.resolve("train.json"), "{not json");
        usage(sft("--suite", "svg", "--resume"), "is damaged");
    }
}
