package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.renderloop.task.SharedManimBench;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The manim driver's reward mode against the full render's lossless frames
 * ({@link ManimMode#PUBLISHED_LOSSLESS}: every frame rasterised and encoded, the sampled ones taken
 * before encoding): same frame count, every sampled frame and the last frame pixel-identical, far
 * fewer frames rasterised. On the Manim test double (always) and on real Manim with at least 20
 * animated scenes of the shared ManimBench training split (skipped with the reason where either is
 * missing).
 */
class ManimRewardModeIT {

    @Test
    void testDouble_rewardFramesEqualTheFullRendersLosslessFrames() throws Exception {
        try (RenderEngine engine = TestEngines.withFakeManim(1)) {
            String code = String.join("\n",
                    "from manim import *",
                    "class Slide(Scene):",
                    "    def construct(self):",
                    "        c = Circle(color=RED)",
                    "        self.play(FadeIn(c), run_time=1)",
                    "        self.play(Shift(c, RIGHT * 2), run_time=1.4)",
                    "        self.wait(0.5)");
            RenderResult reward = render(engine, code, ManimMode.REWARD);
            RenderResult lossless = render(engine, code, ManimMode.PUBLISHED_LOSSLESS);
            RenderResult published = render(engine, code, ManimMode.PUBLISHED);
            assertSameFrames(lossless, reward, "double");
            assertEquals(published.frames().size(), reward.frames().size(), "as many frames as the mp4 gives");
            assertEquals("reward", reward.details().get(ManimMode.DETAIL_KEY));
            assertEquals("published", published.details().get(ManimMode.DETAIL_KEY));
            assertTrue(reward.media().toString().endsWith(".png"), "no video in reward mode: " + reward.media());
            assertTrue(lossless.media().toString().endsWith(".mp4"), lossless.media().toString());
            // 15 + 21 + 8 frames; kept every 3rd (15) plus the last of each play (3, one of them kept anyway).
            assertEquals("44", reward.details().get("frames_written"));
            int rasterised = Integer.parseInt(reward.details().get("frames_rasterised"));
            assertTrue(rasterised <= 15 + 3, "rasterised " + rasterised + " of 44");
        }
    }

    @Test
    void realManim_rewardFramesEqualTheFullRendersLosslessFrames_onTwentyManimBenchScenes() throws Exception {
        Path train = SharedManimBench.assume("train.jsonl");
        try (RenderEngine engine = TestEngines.plain(2)) {
            Renderer.Availability a = engine.availability("manim");
            Assumptions.assumeTrue(a.available(), "real Manim unavailable: " + a.detail());
            Assumptions.assumeFalse(a.detail().contains("test-double"), "the manim domain is the test double");
            ObjectMapper json = new ObjectMapper();
            List<String> compared = new ArrayList<>();
            List<String> skipped = new ArrayList<>();
            for (String line : Files.readAllLines(train)) {
                if (compared.size() >= 20) {
                    break;
                }
                JsonNode row = json.readTree(line);
                String code = row.path("code").asText();
                if (!code.contains("self.play(")) {
                    continue;  // stills take one path in every mode
                }
                RenderResult lossless = render(engine, code, ManimMode.PUBLISHED_LOSSLESS);
                if (!lossless.ok()) {
                    // Not the mode's concern (e.g. a feature this installation lacks): the reward mode must fail too.
                    RenderResult reward = render(engine, code, ManimMode.REWARD);
                    assertEquals(lossless.errorKind(), reward.errorKind(), row.path("id").asText() + ": " + reward.error());
                    skipped.add(row.path("id").asText() + " (" + lossless.errorKind() + ")");
                    continue;
                }
                RenderResult reward = render(engine, code, ManimMode.REWARD);
                assertTrue(reward.ok(), row.path("id").asText() + ": " + reward.error());
                if (lossless.media().toString().endsWith(".png")) {
                    continue;  // played nothing after all
                }
                assertSameFrames(lossless, reward, row.path("id").asText());
                compared.add(row.path("id").asText());
            }
            System.out.println("reward mode == lossless full render on " + compared + "; failing in both modes: " + skipped);
            assertEquals(20, compared.size(), "animated scenes compared: " + compared);
        }
    }

    static RenderResult render(RenderEngine engine, String code, ManimMode mode) {
        return engine.render(new RenderRequest("manim", code, RenderSettings.MANIM_DEFAULTS.withManimMode(mode)));
    }

    static void assertSameFrames(RenderResult full, RenderResult reward, String what) throws Exception {
        assertTrue(full.ok(), what + ": " + full.error());
        assertTrue(reward.ok(), what + ": " + reward.error());
        assertEquals(full.frames().size(), reward.frames().size(), what + ": sampled frame count");
        assertEquals(full.details().get("frames_written"), reward.details().get("frames_written"), what + ": video frames");
        for (int i = 0; i < full.frames().size(); i++) {
            assertEquals(full.frames().get(i).getFileName(), reward.frames().get(i).getFileName(), what + ": frame order");
            assertSamePixels(full.frames().get(i), reward.frames().get(i), what + " frame " + i);
        }
        assertSamePixels(full.lastFrame(), reward.lastFrame(), what + " last frame");
    }

    static void assertSamePixels(Path expected, Path actual, String what) throws Exception {
        BufferedImage a = ImageIO.read(expected.toFile());
        BufferedImage b = ImageIO.read(actual.toFile());
        assertEquals(a.getWidth(), b.getWidth(), what);
        assertEquals(a.getHeight(), b.getHeight(), what);
        int differing = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                differing += a.getRGB(x, y) == b.getRGB(x, y) ? 0 : 1;
            }
        }
        assertEquals(0, differing, what + ": pixels differing");
    }
}
