package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.render.RenderEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new user's command-line mistakes: each is a clear message and exit 2 (bad command line), as the README says. */
class CommandLineErrorsTest {
    @TempDir
    Path dir;

    @Test
    void unknownDomain_isABadCommandLine_forEveryCommandThatTakesOne() throws Exception {
        Path file = Files.writeString(dir.resolve("scene.pov"), "sphere { <0,0,0>, 1 }\n");
        for (String[] args : new String[][] {
                {"render", "--domain", "povray", file.toString()},
                {"generate", "--domain", "povray", "--policy", "oracle", "--out", dir.resolve("g").toString(), "a red sphere"},
                {"score", "--domain", "povray", "--reference", file.toString(), "--candidate", file.toString()},
                {"perf", "render", "--domain", "povray"}}) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitCode.USAGE, run.exitCode(), String.join(" ", args) + ": " + run.out() + run.err());
            assertTrue(run.err().contains("'povray'"), String.join(" ", args) + ": " + run.err());
            assertFalse(run.err().contains("internal error"), run.err());
        }
    }

    @Test
    void perfManimBenchCommands_refuseBadArgumentsWithAMessage() throws Exception {
        Path missing = dir.resolve("none.jsonl");
        String[][] cases = {
                {"perf", "render", "--domain", "manim", "--suite", "manimbench:" + missing, "--limit", "0"}, {"--limit must be >= 1"},
                {"perf", "render", "--domain", "matplotlib", "--suite", "manimbench:" + missing}, {"needs --domain manim"},
                {"perf", "render", "--domain", "manim", "--suite", "manimbench:" + missing}, {"no ManimBench file at"},
                {"perf", "render", "--domain", "manim", "--suite", "povray"}, {"--suite takes no value or manimbench:PATH"},
                {"perf", "reward", "--suite", "manimbench:" + missing, "--group", "0"}, {"--group must be in 1..64"},
                {"perf", "reward", "--suite", "svg"}, {"--suite takes manimbench:PATH"},
                {"perf", "reward", "--suite", "manimbench:" + missing}, {"no ManimBench file at"}};
        for (int i = 0; i < cases.length; i += 2) {
            CliRun run = CliRun.of(cases[i]);
            String what = String.join(" ", cases[i]);
            assertEquals(ExitCode.USAGE, run.exitCode(), what + ": " + run.out() + run.err());
            assertTrue(run.err().contains(cases[i + 1][0]), what + ": " + run.err());
            assertFalse(run.err().contains("internal error"), run.err());
        }
    }

    @Test
    void renderDomains_areTheEnginesBuiltInRenderers() {
        try (RenderEngine engine = RenderEngine.builder().noCache().build()) {
            assertEquals(engine.domains(), Set.copyOf(RenderDomains.ALL));
        }
    }

    @Test
    void suitePathThatDoesNotExist_saysNoSuchFile() {
        Path missing = dir.resolve("my-suite.jsonl");
        CliRun run = CliRun.of("bench", "--suite", missing.toString(), "--policy", "oracle", "--out", dir.resolve("r").toString());
        assertEquals(ExitCode.USAGE, run.exitCode(), run.err());
        assertTrue(run.err().contains("no such file: " + missing), run.err());
        assertFalse(run.err().contains("unknown suite"), run.err());
        // A bare word is still a suite name.
        CliRun name = CliRun.of("bench", "--suite", "povray", "--policy", "oracle");
        assertTrue(name.err().contains("unknown suite 'povray'"), name.err());
    }

    @Test
    void score_imageClaiming30000x30000Pixels_isRefusedAsBadInput() throws Exception {
        java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = java.nio.ByteBuffer.allocate(17).put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .putInt(30000).putInt(30000).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array();
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr);
        png.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(13).array());
        png.writeBytes(ihdr);
        png.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        Path bomb = Files.write(dir.resolve("bomb.png"), png.toByteArray());
        Path small = dir.resolve("small.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", small.toFile());
        for (String[] args : new String[][] {
                {"score", "--domain", "image", "--reference", small.toString(), "--candidate", bomb.toString()},
                {"score", "--domain", "video", "--reference", bomb.toString(), "--candidate", small.toString()}}) {
            CliRun run = CliRun.of(args);
            assertEquals(ExitCode.USAGE, run.exitCode(), run.out() + run.err());
            assertTrue(run.err().contains("30000 x 30000 = 900000000 pixels, over the limit of 89478485"), run.err());
        }
    }

    @Test
    void runFolderNames_areShortAndReadable() {
        assertEquals("manimbench-train-oracle-defects_1", RunFolderName.of("manimbench:train.jsonl", "oracle-defects:1"));
        assertEquals("manimbench-manim_sft_dataset_test_v2-retrieval",
                RunFolderName.of("manimbench:manim_sft_dataset_test_v2.parquet", "retrieval"));
        assertEquals("manimbench-train-train-advanced-oracle", RunFolderName.of("manimbench:train.jsonl/train/advanced", "oracle"));
        assertEquals("svg-retrieval", RunFolderName.of("bundled:svg", "retrieval"));
        assertEquals("svg-retrieval", RunFolderName.of("svg", "retrieval"));
        assertEquals("svg-openai-Qwen2.5-Coder-7B-Instruct",
                RunFolderName.of("svg", "openai:Qwen/Qwen2.5-Coder-7B-Instruct@http://127.0.0.1:8000/v1"));
        assertEquals("my-tasks-local-qwen3-0.6b_lora-7", RunFolderName.of("my-tasks.jsonl", "local:/models/qwen3-0.6b+/runs/lora-7/"));
        String odd = RunFolderName.of("a b:c", "openai:m@x");
        assertTrue(odd.matches("[A-Za-z0-9._-]+"), odd);
        assertTrue(RunFolderName.of("x".repeat(300) + ".jsonl", "oracle").length() <= 80);
    }
}
