package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manim driver of the real worker, run against the Manim test double in src/test/resources
 * (Manim itself cannot be installed here; {@link RealManimIT} covers it where it is).
 */
class ManimDriverIT {
    static RenderEngine engine;

    @BeforeAll
    static void start() {
        engine = TestEngines.withFakeManim(1);  // one worker: consecutive jobs share the warm parent
        assertTrue(engine.availability("manim").available(), engine.availability("manim").detail());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static RenderResult render(String code) {
        return engine.render(RenderRequest.of("manim", code));
    }

    static int rgb(Path png, int x, int y) throws Exception {
        return ImageIO.read(png.toFile()).getRGB(x, y) & 0xffffff;
    }

    static boolean reddish(int rgb) {
        int r = rgb >> 16 & 0xff;
        int g = rgb >> 8 & 0xff;
        int b = rgb & 0xff;
        return r > 200 && g < 140 && b < 140;
    }

    @Test
    void animatedScene_givesAnMp4FramesSampledAtFiveFpsAndTheLastFrame() throws Exception {
        RenderResult r = render(String.join("\n",
                "from manim import *",
                "class Slide(Scene):",
                "    def construct(self):",
                "        c = Circle(color=RED)",
                "        self.play(FadeIn(c), run_time=1)",
                "        self.play(Shift(c, RIGHT * 2), run_time=1)"));
        assertTrue(r.ok(), r.error());
        assertEquals("Slide", r.scene());
        assertTrue(r.media().toString().endsWith(".mp4"), r.media().toString());
        assertEquals(10, r.frames().size(), "30 frames at 15 fps, every 3rd kept");
        BufferedImage last = ImageIO.read(r.lastFrame().toFile());
        assertEquals(854, last.getWidth());
        assertEquals(480, last.getHeight());
        // 2 units right of centre at 60 px/unit (480/8): the circle ended there, the centre is empty.
        assertTrue(reddish(rgb(r.lastFrame(), 427 + 120, 240)), Integer.toHexString(rgb(r.lastFrame(), 547, 240)));
        assertEquals(0x000000, rgb(r.lastFrame(), 427 - 120, 240) & 0xf0f0f0);
    }

    @Test
    void stillScene_givesOnePngAsMediaAndFrame() throws Exception {
        RenderResult r = render(String.join("\n",
                "from manim import *",
                "class Still(Scene):",
                "    def construct(self):",
                "        self.add(Square(color=GREEN))"));
        assertTrue(r.ok(), r.error());
        assertEquals(1, r.frames().size());
        assertTrue(r.media().toString().endsWith(".png"));
        int centre = rgb(r.lastFrame(), 427, 240);
        assertEquals(0x83C167, centre);
    }

    @Test
    void severalSceneClasses_rendersTheLeafNotTheBase() {
        RenderResult r = render(String.join("\n",
                "from manim import *",
                "class Base(Scene):",
                "    def setup_shapes(self):",
                "        return Circle()",
                "class Helper:",
                "    pass",
                "class Final(Base):",
                "    def construct(self):",
                "        self.add(self.setup_shapes())"));
        assertTrue(r.ok(), r.error());
        assertEquals("Final", r.scene());
    }

    @Test
    void sceneByName_isRendered_andAnUnknownNameListsTheDefinedOnes() {
        String code = String.join("\n",
                "from manim import *",
                "class First(Scene):",
                "    def construct(self):",
                "        self.add(Circle())",
                "class Second(Scene):",
                "    def construct(self):",
                "        self.add(Square())");
        assertEquals("Second", render(code).scene(), "the last independent scene by default");
        RenderResult first = engine.render(new RenderRequest("manim", code, RenderSettings.MANIM_DEFAULTS.withScene("First")));
        assertEquals("First", first.scene());
        RenderResult missing = engine.render(new RenderRequest("manim", code, RenderSettings.MANIM_DEFAULTS.withScene("Third")));
        assertEquals(ErrorKind.NO_SCENE, missing.errorKind());
        assertTrue(missing.error().contains("First, Second"), missing.error());
    }

    @Test
    void noSceneClass_isNoScene() {
        RenderResult r = render("from manim import *\nc = Circle()\n");
        assertEquals(ErrorKind.NO_SCENE, r.errorKind());
        assertTrue(r.error().contains("defines no Scene subclass"), r.error());
    }

    @Test
    void moduleLevelConfig_winsOverTheEnginesSettings_asWithTheCli() throws Exception {
        RenderResult r = render(String.join("\n",
                "from manim import *",
                "config.pixel_width = 320",
                "config.pixel_height = 240",
                "class Small(Scene):",
                "    def construct(self):",
                "        self.add(Circle())"));
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(320, image.getWidth());
        assertEquals(240, image.getHeight());
    }

    @Test
    void classDefaultsSetByOneJob_doNotLeakIntoTheNext() throws Exception {
        RenderResult poisoner = render(String.join("\n",
                "from manim import *",
                "Circle.set_default(color=RED)",
                "class Poison(Scene):",
                "    def construct(self):",
                "        self.add(Circle())"));
        assertTrue(poisoner.ok(), poisoner.error());
        assertTrue(reddish(rgb(poisoner.lastFrame(), 427, 240)));
        RenderResult next = render(String.join("\n",
                "from manim import *",
                "class Clean(Scene):",
                "    def construct(self):",
                "        self.add(Circle())"));
        assertTrue(next.ok(), next.error());
        assertEquals(0x58C4DD, rgb(next.lastFrame(), 427, 240), "default colour is back to BLUE");
    }

    @Test
    void unseededRandomness_isSeededPerJob_soRendersRepeat() throws Exception {
        String code = String.join("\n",
                "import numpy as np",
                "from manim import *",
                "class Random(Scene):",
                "    def construct(self):",
                "        self.add(Circle(radius=0.3).shift(np.random.uniform(-3, 3, 2)))");
        RenderResult a = render(code);
        RenderResult b = render(code);
        assertArrayEquals(Files.readAllBytes(a.lastFrame()), Files.readAllBytes(b.lastFrame()));
    }

    @Test
    void runtimeErrorInConstruct_pointsAtTheScenesLine() {
        RenderResult r = render(String.join("\n",
                "from manim import *",
                "class Broken(Scene):",
                "    def construct(self):",
                "        self.play(ShowCreation(Circle()))"));
        assertEquals(ErrorKind.RUNTIME_ERROR, r.errorKind());
        assertTrue(r.errorTail(1).equals("NameError: name 'ShowCreation' is not defined"), r.error());
        assertTrue(r.error().contains("File \"scene.py\", line 4, in construct"), r.error());
    }
}
