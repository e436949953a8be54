package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop render} end to end, in-process, on the real matplotlib worker. */
class RenderCommandIT {
    static final String CHART = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5])\nplt.savefig('x.png')\n";

    @TempDir
    Path dir;

    private CliRun render(Path file, String... extra) {
        String[] base = {"render", "--domain", "matplotlib", "--cache", dir.resolve("cache").toString(), "--json", file.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    @Test
    void render_json_hasTheDocumentedFields_andTheSecondRunIsCached() throws Exception {
        Path file = Files.writeString(dir.resolve("chart.py"), CHART);
        CliRun first = render(file);
        assertEquals(0, first.exitCode(), first.err());
        JsonNode j = first.json();
        assertEquals("ok", j.get("status").asText());
        assertTrue(j.get("error_kind").isNull());
        assertTrue(j.get("error").isNull());
        assertEquals(1, j.get("frames").size());
        assertTrue(Files.exists(Path.of(j.get("frames").get(0).asText())));
        assertTrue(Files.exists(Path.of(j.get("media").asText())));
        assertTrue(j.get("millis").asLong() > 0);
        assertFalse(j.get("cached").asBoolean());
        JsonNode again = render(file).json();
        assertTrue(again.get("cached").asBoolean());
        assertEquals(j.get("media").asText(), again.get("media").asText());
    }

    @Test
    void render_out_copiesFramesAndMediaThere() throws Exception {
        Path file = Files.writeString(dir.resolve("chart.py"), CHART);
        Path out = dir.resolve("out");
        JsonNode j = render(file, "--out", out.toString()).json();
        assertTrue(j.get("media").asText().startsWith(out.toString()));
        assertTrue(Files.exists(out.resolve("last.png")));
        assertTrue(Files.exists(out.resolve("frames").resolve("frame_00000.png")));
    }

    @Test
    void render_noCache_printsPathsThatStillExistAfterExit() throws Exception {
        Path file = Files.writeString(dir.resolve("chart.py"), CHART);
        CliRun run = CliRun.of("render", "--domain", "matplotlib", "--no-cache", "--json", file.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(Path.of(run.json().get("last_frame").asText())));
    }

    @Test
    void render_runtimeError_exitsOneWithKindAndCleanText() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.py"), "import matplotlib.pyplot as plt\nplt.plot([1], colour='red')\n");
        CliRun run = render(file);
        assertEquals(ExitCode.RENDER_FAILED, run.exitCode());
        JsonNode j = run.json();
        assertEquals("error", j.get("status").asText());
        assertEquals("runtime_error", j.get("error_kind").asText());
        assertTrue(j.get("error").asText().contains("colour"), j.get("error").asText());
        assertEquals(0, j.get("frames").size());
    }

    @Test
    void badInput_emptyFile_isNoCode() throws Exception {
        CliRun run = render(Files.writeString(dir.resolve("empty.py"), ""));
        assertEquals(ExitCode.RENDER_FAILED, run.exitCode());
        assertEquals("no_code", run.json().get("error_kind").asText());
    }

    @Test
    void badInput_binaryGarbage_isBadInput() throws Exception {
        byte[] garbage = new byte[10_000];
        new Random(11).nextBytes(garbage);
        CliRun run = render(Files.write(dir.resolve("garbage.bin"), garbage));
        assertEquals(ExitCode.RENDER_FAILED, run.exitCode());
        assertEquals("bad_input", run.json().get("error_kind").asText());
    }

    @Test
    void badInput_nonUtf8_namesTheOffset() throws Exception {
        CliRun run = render(Files.write(dir.resolve("latin1.py"), "title = 'Caf\u00e9'\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("bad_input", run.json().get("error_kind").asText());
        assertTrue(run.json().get("error").asText().contains("not valid UTF-8 text (invalid byte 0xe9 at offset 12)"),
                run.json().get("error").asText());
    }

    @Test
    void badInput_tenMegabyteProgram_isRefusedBeforeRendering() throws Exception {
        String line = "x = 1  # padding padding padding padding padding padding padding padding\n";
        Path big = Files.writeString(dir.resolve("big.py"), line.repeat(10 * 1024 * 1024 / line.length()));
        CliRun run = render(big);
        assertEquals("bad_input", run.json().get("error_kind").asText());
        assertTrue(run.json().get("error").asText().contains("larger than the 1,048,576-byte limit"), run.out());
    }

    @Test
    void badInput_megabytesOnStderr_stillRenders() throws Exception {
        Path noisy = Files.writeString(dir.resolve("noisy.py"),
                "import sys\nfor i in range(50000):\n    print('warning: line %d of noise' % i, file=sys.stderr)\n" + CHART);
        CliRun run = render(noisy);
        assertEquals(0, run.exitCode(), run.out());
        assertTrue(run.json().get("log").asText().length() <= 4096, "only the log's tail is kept");
    }

    @Test
    void badInput_missingFileOrDirectory_isAUsageError() {
        CliRun missing = render(dir.resolve("nope.py"));
        assertEquals(ExitCode.USAGE, missing.exitCode());
        assertTrue(missing.err().contains("no such file"), missing.err());
        CliRun directory = render(dir);
        assertEquals(ExitCode.USAGE, directory.exitCode());
        assertTrue(directory.err().contains("is a directory"), directory.err());
    }

    @Test
    void badOptions_areUsageErrorsWithAMessage() throws Exception {
        Path file = Files.writeString(dir.resolve("chart.py"), CHART);
        CliRun size = render(file, "--size", "big");
        assertEquals(ExitCode.USAGE, size.exitCode());
        assertTrue(size.err().contains("--size must look like 854x480"), size.err());
        CliRun timeout = render(file, "--timeout", "-1");
        assertEquals(ExitCode.USAGE, timeout.exitCode());
        CliRun noDomain = CliRun.of("render", file.toString());
        assertEquals(ExitCode.USAGE, noDomain.exitCode());
        assertTrue(noDomain.err().contains("--domain"), noDomain.err());
        CliRun unknownMode = CliRun.of("render", "--domain", "manim", "--manim-mode", "fast", file.toString());
        assertEquals(ExitCode.USAGE, unknownMode.exitCode());
        assertTrue(unknownMode.err().contains("unknown Manim mode 'fast'; known: published, reward, published-lossless"), unknownMode.err());
        CliRun wrongDomain = render(file, "--manim-mode", "reward");
        assertEquals(ExitCode.USAGE, wrongDomain.exitCode());
        assertTrue(wrongDomain.err().contains("--manim-mode applies to --domain manim only"), wrongDomain.err());
    }

    @Test
    void badOptions_scratchThatIsAFileOrUnderOne_isAUsageError() throws Exception {
        Path file = Files.writeString(dir.resolve("chart.py"), CHART);
        CliRun onFile = render(file, "--scratch", file.toString());
        assertEquals(ExitCode.USAGE, onFile.exitCode());
        assertTrue(onFile.err().contains("--scratch: " + file + " is not a writable directory"), onFile.err());
        CliRun underFile = render(file, "--scratch", file.resolve("sub").toString());
        assertEquals(ExitCode.USAGE, underFile.exitCode());
        assertTrue(underFile.err().contains("cannot be created in " + file), underFile.err());
    }

    @Test
    void scratchOnARamFileSystem_rendersInTheSandbox_andIsLeftEmpty() throws Exception {
        // /dev is replaced inside the sandbox: the worker's files there must be bound into it.
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "no /dev/shm");
        Path scratch = shm.resolve("renderloop-it-" + ProcessHandle.current().pid());
        Path file = Files.writeString(dir.resolve("square.tex"), "\\fill[red] (0,0) rectangle (1,1);");
        try {
            CliRun run = CliRun.of("render", "--domain", "tikz", "--no-cache", "--json", "--scratch", scratch.toString(), file.toString());
            assertEquals(0, run.exitCode(), run.out() + run.err());
            assertEquals("parent", run.json().get("details").get("job").asText(), run.out());
            CliRun chart = render(Files.writeString(dir.resolve("chart.py"), CHART), "--scratch", scratch.toString());
            assertEquals(0, chart.exitCode(), chart.out() + chart.err());
            try (var left = Files.list(scratch)) {
                assertEquals(List.of(), left.toList(), "every engine removes its scratch directory when closed");
            }
        } finally {
            ScratchTree.delete(scratch);
        }
    }

    @Test
    void unknownDomain_isABadCommandLine() throws Exception {
        // An unknown --domain is the user's typo, not a missing renderer: exit 2, as the README says (issue 15).
        Path file = Files.writeString(dir.resolve("x.pov"), "sphere { <0,0,0>, 1 }");
        CliRun run = CliRun.of("render", "--domain", "povray", "--no-cache", "--json", file.toString());
        assertEquals(ExitCode.USAGE, run.exitCode());
    }
}
