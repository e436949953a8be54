package dev.renderloop.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code renderloop score} end to end: images, videos, programs rendered by real renderers, models, bad input. */
class ScoreCommandIT {
    static final Path TARGETS = Path.of("../task/src/main/resources/dev/renderloop/task/suites/svg/targets");
    static final Path TINY = Path.of("../embed/src/test/resources/dev/renderloop/embed/tiny");
    static final String CHART = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [3, 5], color='red')\nplt.savefig('x.png')\n";
    static final String CHART2 = "import matplotlib.pyplot as plt\nplt.bar(['a', 'b'], [5, 3], color='blue')\nplt.savefig('y.png')\n";

    @TempDir
    Path dir;

    private static CliRun score(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "score";
        System.arraycopy(args, 0, all, 1, args.length);
        return CliRun.of(all);
    }

    private Path frame(String name, Color colour, int x) throws Exception {
        BufferedImage img = new BufferedImage(160, 90, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 160, 90);
        g.setColor(colour);
        g.fillOval(x, 20, 40, 40);
        g.dispose();
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void imagesReportSsimTiledAndBothVsVariants() {
        CliRun run = score("--domain", "image", "--reference", TARGETS.resolve("svg-001.png").toString(),
                "--candidate", TARGETS.resolve("svg-002.png").toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = run.json();
        double ssim = j.get("ssim").asDouble();
        assertTrue(ssim > 0 && ssim < 1, "two different targets: " + ssim);
        assertTrue(j.get("tiled").asDouble() > 0);
        assertEquals(1.0, j.get("vs_paper_ssim").asDouble(), "the published SSIM part scores any two stills 1.0");
        assertTrue(j.get("vs_corrected_ssim").asDouble() < 0.9, "the corrected part does not: " + j.get("vs_corrected_ssim"));
        assertTrue(j.get("vs_paper").isNull());
        assertTrue(j.get("unavailable").get("vs_paper").asText().contains("no CLIP"));
        assertTrue(j.get("tile_similarity").asText().contains("weight-free fallback"));
    }

    @Test
    void modelsMakeTheEmbeddingPartsAvailable() {
        CliRun run = score("--domain", "image", "--reference", TARGETS.resolve("svg-001.png").toString(),
                "--candidate", TARGETS.resolve("svg-002.png").toString(), "--json",
                "--clip-model", TINY.resolve("clip-tiny.onnx").toString(), "--dino-model", TINY.resolve("dinov2-tiny.onnx").toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = run.json();
        assertTrue(j.get("vs_paper").isNumber(), j.toString());
        assertTrue(j.get("vs_corrected").isNumber());
        assertTrue(j.get("tile_similarity").asText().startsWith("dinov2"), j.get("tile_similarity").asText());
        assertTrue(j.get("unavailable").isEmpty(), j.get("unavailable").toString());
    }

    @Test
    void framesFoldersAreComparedAsVideos() throws Exception {
        for (int i = 0; i < 6; i++) {
            frame("ref/f" + i + ".png", Color.BLUE, 10 + 20 * i);
            frame("same/f" + i + ".png", Color.BLUE, 10 + 20 * i);
            frame("other/f" + i + ".png", Color.RED, 110 - 20 * i);
        }
        JsonNode same = score("--domain", "video", "--reference", dir.resolve("ref").toString(), "--candidate",
                dir.resolve("same").toString(), "--json").json();
        assertEquals(1.0, same.get("vs_corrected_ssim").asDouble(), 1e-12);
        assertEquals(6, same.get("candidate").get("sampled_frames").asInt());
        JsonNode other = score("--domain", "video", "--reference", dir.resolve("ref").toString(), "--candidate",
                dir.resolve("other").toString(), "--json").json();
        assertTrue(other.get("vs_corrected_ssim").asDouble() < same.get("vs_corrected_ssim").asDouble());
    }

    @Test
    void programsAreRenderedAndScoredWithCodeMetricsAndReward() throws Exception {
        Path ref = Files.writeString(dir.resolve("ref.py"), CHART);
        Path cand = Files.writeString(dir.resolve("answer.md"), "Here:\n```python\n" + CHART2 + "```\n");
        CliRun run = score("--domain", "matplotlib", "--reference", ref.toString(), "--candidate", cand.toString(),
                "--json", "--no-cache", "--reward", "arithmetic:codebleu=0.2,tiled=0.8");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode j = run.json();
        assertEquals(1.0, j.get("syntax_ok").asDouble());
        double codebleu = j.get("codebleu").asDouble();
        assertTrue(codebleu > 0.3 && codebleu < 1, "similar programs: " + codebleu);
        for (String key : List.of("codebleu_ngram", "codebleu_weighted_ngram", "codebleu_syntax", "codebleu_dataflow", "ast_distance", "ssim", "tiled")) {
            assertTrue(j.get(key).isNumber(), key);
        }
        assertTrue(j.get("format_ok").asBoolean());
        assertEquals(0.2 * codebleu + 0.8 * j.get("tiled").asDouble(), j.get("reward").asDouble(), 1e-9);
        assertTrue(j.get("cbb").isNull(), "no CodeBERT model: unavailable, not 0");
    }

    @Test
    void aCandidateThatFailsToRenderScoresZeroVisually() throws Exception {
        Path ref = Files.writeString(dir.resolve("ref.py"), CHART);
        Path cand = Files.writeString(dir.resolve("bad.py"), "import matplotlib.pyplot as plt\nplt.plto([1])\n");
        JsonNode j = score("--domain", "matplotlib", "--reference", ref.toString(), "--candidate", cand.toString(),
                "--json", "--no-cache", "--reward", "vincicoder").json();
        assertEquals("error", j.get("candidate_render").get("status").asText());
        assertEquals(0.0, j.get("tiled").asDouble());
        assertEquals(0.0, j.get("ssim").asDouble());
        assertEquals(0.0, j.get("reward").asDouble(), "untagged raw code: format 0, visual 0");
    }

    @Test
    void badInputGivesClearErrors() throws Exception {
        Path png = TARGETS.resolve("svg-001.png");
        Path text = Files.writeString(dir.resolve("not-an-image.png"), "hello");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path fakeVideo = Files.writeString(dir.resolve("fake.mp4"), "not a video");
        Path broken = Files.writeString(dir.resolve("broken.py"), "import matplotlib.pyplot as plt\nplt.plto([1])\n");
        record Case(List<String> args, int exit, String message) {
        }
        List<Case> cases = List.of(
                new Case(List.of("--domain", "image", "--reference", dir.resolve("nope.png").toString(), "--candidate", png.toString()), 2, "no such image file"),
                new Case(List.of("--domain", "image", "--reference", png.toString(), "--candidate", text.toString()), 2, "not-an-image.png"),
                new Case(List.of("--domain", "video", "--reference", empty.toString(), "--candidate", png.toString()), 2, "zero frames"),
                new Case(List.of("--domain", "video", "--reference", fakeVideo.toString(), "--candidate", png.toString()), 2, "cannot open video"),
                new Case(List.of("--domain", "paint", "--reference", png.toString(), "--candidate", png.toString()), 2, "unknown domain"),
                new Case(List.of("--domain", "image", "--reference", png.toString(), "--candidate", png.toString(),
                        "--clip-model", dir.resolve("missing.onnx").toString()), 2, "missing.onnx"),
                new Case(List.of("--domain", "matplotlib", "--reference", broken.toString(), "--candidate", broken.toString(), "--no-cache"),
                        1, "the reference does not render"),
                new Case(List.of("--domain", "svg", "--reference", dir.resolve("x.svg").toString(), "--candidate", png.toString()), 2, "no such file"));
        for (Case c : cases) {
            CliRun run = score(c.args().toArray(String[]::new));
            assertEquals(c.exit(), run.exitCode(), c.args() + ": " + run.err());
            assertTrue(run.err().contains(c.message()), c.args() + ": " + run.err());
            assertFalse(run.err().contains("internal error"), run.err());
        }
    }
}
