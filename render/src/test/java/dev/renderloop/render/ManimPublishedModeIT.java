package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.task.SharedManimBench;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published mode against the published approach itself: on 20 animated scenes of the shared
 * ManimBench training split (and 4 at 720p30, {@code -qm}), the warm worker's video holds the same
 * H.264 packets as the video the {@code manim -ql} CLI writes for the same file, and every sampled
 * frame (and the last) equals the frame sampled from the CLI's video. This is what lets the worker
 * encode Manim's partial movies in-process (PyAV, {@code manim_encoder=pyav}) instead of running
 * ffmpeg per animation; where the worker's probe did not allow that, the same comparison checks
 * Manim's own pipe. Also: the probe refuses an encoder or join that differs, and the LaTeX shortcuts
 * draw what Manim's own path draws. Needs real Manim 0.18 ({@code RENDERLOOP_PYTHON}) and ../shared;
 * skipped with the reason otherwise.
 */
class ManimPublishedModeIT {

    @Test
    void realManim_publishedVideoAndFramesEqualTheManimClis_onTwentyManimBenchScenes(@TempDir Path scratch) throws Exception {
        compareWithTheCli(RenderSettings.MANIM_DEFAULTS, "-ql", 20, scratch);
    }

    /** The same at the 1280x720, 30 fps that users also render ({@code -qm}), on the first 4 animated scenes. */
    @Test
    void realManim_publishedVideoAndFramesEqualTheManimClis_at720p30(@TempDir Path scratch) throws Exception {
        RenderSettings s = RenderSettings.MANIM_DEFAULTS;
        RenderSettings hd = new RenderSettings(1280, 720, 30, s.sampleFps(), s.maxFrames(), s.dpi(), s.timeout(), s.memoryBytes(),
                s.maxFileBytes(), s.maxOutputBytes(), s.maxProcesses(), s.seed(), s.scene(), s.manimMode());
        compareWithTheCli(hd, "-qm", 4, scratch);
    }

    /**
     * The first {@code count} animated training scenes rendered in the published mode with {@code settings}
     * and by the CLI at {@code quality} (the same size and frame rate): same packets, same sampled frames.
     */
    static void compareWithTheCli(RenderSettings settings, String quality, int count, Path scratch) throws Exception {
        Path train = SharedManimBench.assume("train.jsonl");
        Path python = assumeRealManim();
        try (RenderEngine engine = TestEngines.plain(2)) {
            Path helper = Path.of(Objects.requireNonNull(ManimPublishedModeIT.class.getResource("/manim_cli_frames.py")).toURI());
            ObjectMapper json = new ObjectMapper();
            List<String> compared = new ArrayList<>();
            List<String> encoders = new ArrayList<>();
            for (String line : Files.readAllLines(train)) {
                if (compared.size() >= count) {
                    break;
                }
                JsonNode row = json.readTree(line);
                String id = row.path("id").asText();
                String code = row.path("code").asText();
                if (!code.contains("self.play(")) {
                    continue;
                }
                RenderResult ours = engine.render(new RenderRequest("manim", code, settings));
                Path job = Files.createDirectories(scratch.resolve(id));
                Path cliVideo = cliRender(python, code, quality, settings.timeout().toSeconds(), job);
                if (!ours.ok() || !ours.media().toString().endsWith(".mp4")) {
                    // A scene this installation cannot render (or a still after all) is no encoder question,
                    // but the CLI must agree that there is no video.
                    assertTrue(cliVideo == null || !ours.ok() && ours.errorKind() == ErrorKind.TIMEOUT,
                            id + ": the worker made no video (" + ours.error() + ") but the CLI did");
                    continue;
                }
                assertTrue(cliVideo != null, id + ": the worker rendered a video, the CLI failed (log in " + job + ")");
                Path cliFrames = Files.createDirectories(job.resolve("cli-frames"));
                Process p = new ProcessBuilder(python.toString(), helper.toString(), cliVideo.toString(), ours.media().toString(),
                        cliFrames.toString(), Double.toString(settings.sampleFps()), Integer.toString(settings.maxFrames()))
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String report = new String(p.getInputStream().readAllBytes()).strip();
                assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, id + ": decoding the CLI's video failed: " + report);
                JsonNode r = json.readTree(report);
                assertTrue(r.path("packets_equal").asBoolean(), id + ": the worker's video holds other packets than the CLI's ("
                        + ours.details().get("manim_encoder") + ")");
                int width = r.path("width").asInt();
                int height = r.path("height").asInt();
                assertEquals(settings.width(), width, id + ": the CLI's frame width at " + quality);
                List<Path> expected;
                try (Stream<Path> files = Files.list(cliFrames)) {
                    expected = files.filter(f -> f.getFileName().toString().startsWith("frame_")).sorted().toList();
                }
                assertEquals(expected.size(), ours.frames().size(), id + ": sampled frame count");
                for (int i = 0; i < expected.size(); i++) {
                    assertSamePixels(expected.get(i), width, height, ours.frames().get(i), id + " frame " + i);
                }
                assertSamePixels(cliFrames.resolve("last.rgb"), width, height, ours.lastFrame(), id + " last frame");
                compared.add(id);
                encoders.add(ours.details().get("manim_encoder"));
            }
            System.out.println("published mode == manim " + quality + " CLI (packets and sampled frames) on " + compared
                    + "; encoders: " + encoders);
            assertEquals(count, compared.size(), "animated scenes compared: " + compared);
        }
    }

    /**
     * The worker's probe is what lets PyAV replace ffmpeg, so it must refuse an encoder or a join that
     * differs from ffmpeg's in any packet: here x264 at crf 24 instead of 23, and the joined movie in
     * the mp4 muxer's own time base instead of the partial movies'.
     */
    @Test
    void realManim_theEncoderProbeRefusesAnEncoderOrJoinThatDiffersFromFfmpegs(@TempDir Path scratch) throws Exception {
        Path python = assumeRealManim();
        Path workerParent = WorkerPackage.extract(scratch).directory().getParent();
        String script = String.join("\n",
                "import sys, json",
                "sys.path.insert(0, sys.argv[1])",
                "from renderloop_worker import manim_driver as m",
                "out = {'as_is': m.MovieEncoder.probe().describe()}",
                "init, join = m.EncodedMovie.__init__, m.MovieEncoder.join",
                "def crf24(self, *a):",
                "    init(self, *a)",
                "    self.stream.codec_context.options = {'crf': '24'}",
                "m.EncodedMovie.__init__ = crf24",
                "out['crf24'] = m.MovieEncoder.probe().describe()",
                "m.EncodedMovie.__init__ = init",
                "def own_time_base(self, files, list_path, output, comment):",
                "    import av",
                "    self.write_file_list(str(list_path), files)",
                "    with av.open(str(list_path), format='concat', options={'safe': '0'}) as s, av.open(str(output), 'w', format='mp4') as t:",
                "        o = t.add_stream(template=s.streams.video[0])",
                "        for p in s.demux(s.streams.video[0]):",
                "            if p.dts is not None:",
                "                p.stream = o",
                "                t.mux(p)",
                "m.MovieEncoder.join = own_time_base",
                "out['own_time_base'] = m.MovieEncoder.probe().describe()",
                "print(json.dumps(out))");
        Process p = new ProcessBuilder(python.toString(), "-c", script, workerParent.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String report = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "probe script failed: " + report);
        JsonNode r = new ObjectMapper().readTree(report.substring(report.lastIndexOf('\n') + 1));
        Assumptions.assumeTrue(r.path("as_is").asText().equals("pyav"), "this installation's PyAV does not pass the probe: " + r);
        assertTrue(r.path("crf24").asText().startsWith("ffmpeg (PyAV"), r.toString());
        assertTrue(r.path("own_time_base").asText().startsWith("ffmpeg (PyAV"), r.toString());
    }

    /**
     * The LaTeX shortcuts (a format for the default template's preamble; dvisvgm without special
     * handlers where a DVI holds only the template's own specials) draw what Manim's own path draws,
     * point for point, and step aside for hand-written specials (color, PostScript) and another
     * preamble. The SVG bytes are reported, not required: dvisvgm's order of glyph definitions
     * follows incidental state such as the length of the file's path (see TexShortcuts).
     */
    @Test
    void realManim_texShortcutsDrawWhatManimDraws_andStepAsideForOtherSpecialsAndPreambles(@TempDir Path scratch) throws Exception {
        Path python = assumeRealManim();
        Path workerParent = WorkerPackage.extract(Files.createDirectories(scratch.resolve("worker"))).directory().getParent();
        Path script = Path.of(Objects.requireNonNull(ManimPublishedModeIT.class.getResource("/manim_tex_shortcuts_check.py")).toURI());
        Process p = new ProcessBuilder(python.toString(), script.toString(), workerParent.toString(),
                Files.createDirectories(scratch.resolve("tex")).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String report = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, "tex check failed: " + report);
        JsonNode r = new ObjectMapper().readTree(report.substring(report.lastIndexOf('\n') + 1));
        System.out.println("tex shortcuts: " + r);
        Assumptions.assumeTrue(r.path("describe").asText().startsWith("format"), "no format here: " + r);
        for (int i = 0; i < r.path("same_drawing").size(); i++) {
            assertTrue(r.path("same_drawing").get(i).asBoolean(), "Manim draws another SVG for " + r.path("cases").get(i) + ": " + r);
        }
        JsonNode counts = r.path("counts");
        int cases = r.path("cases").size();
        assertEquals(cases - 1, counts.path("format").asInt(), "all but the other preamble use the format: " + r);
        assertEquals(1, counts.path("full").asInt(), r.toString());
        assertEquals(cases, counts.path("svg").asInt(), r.toString());
        // The color and PostScript specials (and xcolor's, in the other preamble) keep dvisvgm's handlers.
        assertEquals(cases - 3, counts.path("no_specials").asInt(), r.toString());
    }

    /** The interpreter of real Manim ({@code RENDERLOOP_PYTHON}); skips the test with the reason otherwise. */
    static Path assumeRealManim() {
        try (RenderEngine engine = TestEngines.plain(1)) {
            Renderer.Availability a = engine.availability("manim");
            Assumptions.assumeTrue(a.available(), "real Manim unavailable: " + a.detail());
            Assumptions.assumeFalse(a.detail().contains("test-double"), "the manim domain is the test double");
        }
        return RenderEngine.defaultPython();
    }

    /** The scene rendered as the published approach does; its video, or null where the CLI failed. */
    static Path cliRender(Path python, String code, String quality, long timeoutSeconds, Path job) throws IOException, InterruptedException {
        Path file = Files.writeString(job.resolve("scene.py"), code);
        Process p = new ProcessBuilder(python.toString(), "-m", "manim", "render", quality, "--format=mp4", "--disable_caching",
                "--media_dir", job.resolve("media").toString(), file.toString())
                .directory(job.toFile()).redirectErrorStream(true).redirectOutput(job.resolve("cli.log").toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            return null;
        }
        if (p.exitValue() != 0) {
            return null;
        }
        try (Stream<Path> files = Files.walk(job.resolve("media"))) {
            return files.filter(f -> f.toString().endsWith(".mp4") && !f.toString().contains("partial_movie_files"))
                    .findFirst().orElse(null);
        }
    }

    static void assertSamePixels(Path rgb, int width, int height, Path png, String what) throws IOException {
        byte[] expected = Files.readAllBytes(rgb);
        assertEquals(width * height * 3, expected.length, what + ": raw frame size");
        BufferedImage actual = ImageIO.read(png.toFile());
        assertEquals(width, actual.getWidth(), what);
        assertEquals(height, actual.getHeight(), what);
        int differing = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                int rgbValue = (expected[i] & 0xFF) << 16 | (expected[i + 1] & 0xFF) << 8 | expected[i + 2] & 0xFF;
                differing += (actual.getRGB(x, y) & 0xFFFFFF) == rgbValue ? 0 : 1;
            }
        }
        assertEquals(0, differing, what + ": pixels differing");
    }
}
