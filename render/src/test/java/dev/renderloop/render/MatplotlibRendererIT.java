package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The matplotlib domain on the real warm worker (Debian python3 + python3-matplotlib). */
class MatplotlibRendererIT {
    static RenderEngine engine;

    /** Charts with the common artists: bars, lines with a legend and mathtext, a colour-mapped scatter, four subplots. */
    static final List<String> CHARTS = List.of(
            "import matplotlib.pyplot as plt\nplt.bar(['a', 'b', 'c'], [3, 1, 2], color='tab:green')\nplt.title('sales')\n",
            "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2, 3], label='up')\n"
                    + "ax.plot([3, 2, 1], '--', label='down')\nax.legend()\nax.grid(True)\nax.set_xlabel('time $t^2$')\n",
            "import matplotlib.pyplot as plt\nimport numpy as np\nx = np.linspace(0, 6, 50)\n"
                    + "plt.scatter(x, np.sin(x), c=x)\nplt.colorbar()\nplt.suptitle('scatter')\n",
            "import matplotlib.pyplot as plt\nfig, axes = plt.subplots(2, 2)\n"
                    + "axes[0][0].imshow([[0, 1], [1, 0]])\naxes[1][1].hist([1, 2, 2, 3, 3, 3])\n"
                    + "axes[0][1].text(0.2, 0.5, 'hello', fontsize=20)\naxes[1][0].pie([1, 2, 3])\n");

    @BeforeAll
    static void start() {
        engine = TestEngines.plain(2);
        assertTrue(engine.availability("matplotlib").available(), engine.availability("matplotlib").detail());
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    static int rgb(Path png, int x, int y) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        return image.getRGB(x, y) & 0xffffff;
    }

    @Test
    void render_fullFigureRedRectangle_givesRedPixelsAtTheFixedSize() throws Exception {
        String code = String.join("\n",
                "import matplotlib.pyplot as plt",
                "from matplotlib.patches import Rectangle",
                "fig = plt.figure(figsize=(3, 3), dpi=50)",  // the program's own size is overridden
                "ax = fig.add_axes([0, 0, 1, 1])",
                "ax.set_axis_off()",
                "ax.add_patch(Rectangle((0, 0), 1, 1, color='#ff0000'))",
                "ax.set_xlim(0, 1); ax.set_ylim(0, 1)",
                "fig.savefig('/etc/should-not-be-written.png', dpi=300, bbox_inches='tight')");
        RenderResult r = engine.render(RenderRequest.of("matplotlib", code));
        assertTrue(r.ok(), r.error());
        assertEquals(1, r.frames().size());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(640, image.getWidth());
        assertEquals(480, image.getHeight());
        assertEquals(0xff0000, rgb(r.lastFrame(), 320, 240));
        assertEquals(0xff0000, rgb(r.lastFrame(), 5, 5));
        assertFalse(Files.exists(Path.of("/etc/should-not-be-written.png")));
    }

    @Test
    void render_showWithoutSavefig_capturesTheOpenFigureOnWhite() throws Exception {
        String code = String.join("\n",
                "import matplotlib.pyplot as plt",
                "plt.plot([0, 1], [0, 1], color='blue', linewidth=8)",
                "plt.show()");
        RenderResult r = engine.render(RenderRequest.of("matplotlib", code));
        assertTrue(r.ok(), r.error());
        assertEquals(0xffffff, rgb(r.lastFrame(), 2, 2), "background is white");
    }

    @Test
    void render_twoFigures_givesTwoFramesInCreationOrder() throws Exception {
        String code = String.join("\n",
                "import matplotlib.pyplot as plt",
                "for colour in ['#00ff00', '#0000ff']:",
                "    fig = plt.figure()",
                "    ax = fig.add_axes([0, 0, 1, 1]); ax.set_axis_off()",
                "    ax.axhspan(0, 1, color=colour)");
        RenderResult r = engine.render(RenderRequest.of("matplotlib", code));
        assertTrue(r.ok(), r.error());
        assertEquals(2, r.frames().size());
        assertEquals(0x00ff00, rgb(r.frames().get(0), 320, 240));
        assertEquals(0x0000ff, rgb(r.frames().get(1), 320, 240));
        assertEquals(r.frames().get(1), r.lastFrame());
    }

    @Test
    void render_customSize_isHonoured() throws Exception {
        RenderSettings s = RenderSettings.MATPLOTLIB_DEFAULTS.withSize(336, 336);
        RenderResult r = engine.render(new RenderRequest("matplotlib", TestEngines.GOOD_CHART, s));
        assertTrue(r.ok(), r.error());
        BufferedImage image = ImageIO.read(r.lastFrame().toFile());
        assertEquals(List.of(336, 336), List.of(image.getWidth(), image.getHeight()));
    }

    @Test
    void render_sameProgramTwice_isDeterministic() throws Exception {
        String code = String.join("\n",
                "import numpy as np, random",
                "import matplotlib.pyplot as plt",
                "plt.scatter(np.random.rand(50), np.random.rand(50), c=[random.random() for _ in range(50)])");
        RenderResult a = engine.render(RenderRequest.of("matplotlib", code));
        RenderResult b = engine.render(RenderRequest.of("matplotlib", code));
        assertTrue(a.ok() && b.ok());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(a.lastFrame()), Files.readAllBytes(b.lastFrame())),
                "unseeded randomness is seeded per job, so two renders are pixel-identical");
    }

    @Test
    void render_withCache_secondRenderIsAHitWithTheSameFiles(@TempDir Path cacheDir) throws Exception {
        try (RenderEngine cached = RenderEngine.builder().cacheDir(cacheDir).workers(1).build()) {
            RenderResult first = cached.render(RenderRequest.of("matplotlib", TestEngines.GOOD_CHART));
            RenderResult second = cached.render(RenderRequest.of("matplotlib", TestEngines.GOOD_CHART));
            assertTrue(first.ok(), first.error());
            assertFalse(first.cached());
            assertTrue(second.cached());
            assertEquals(first.lastFrame(), second.lastFrame());
            assertEquals(0, second.renderMillis(), "a hit does not render");
        }
    }

    @Test
    void workerStartedFromAThreadThatEnds_keepsServing() throws Exception {
        // bubblewrap's --die-with-parent is a parent-death signal tied to the *thread* that started
        // it: a worker started from a short-lived thread must not die with that thread.
        try (RenderEngine e = TestEngines.plain(1)) {
            Thread shortLived = new Thread(() -> e.render(RenderRequest.of("matplotlib", TestEngines.GOOD_CHART)));
            shortLived.start();
            shortLived.join();
            Thread.sleep(1500);
            assertEquals(1, e.workersStarted("matplotlib"));
            RenderResult r = e.render(RenderRequest.of("matplotlib", TestEngines.GOOD_CHART));
            assertTrue(r.ok(), r.error());
            assertEquals(1, e.workersStarted("matplotlib"), "the worker died with the thread that started it");
        }
    }

    @Test
    void render_noFigure_isNoScene() {
        RenderResult r = engine.render(RenderRequest.of("matplotlib", "import matplotlib.pyplot as plt\nx = 1 + 1\n"));
        assertEquals(ErrorKind.NO_SCENE, r.errorKind());
        assertTrue(r.error().contains("no matplotlib figure"), r.error());
        assertNull(r.media());
    }

    /**
     * The warm parent draws one figure at start (matplotlib_driver.draw_once) so jobs find matplotlib's lazy caches
     * built; that must leave no trace: each program's frame from the warm worker equals, byte for byte, the frame the
     * same driver draws in a fresh interpreter that never drew anything before.
     */
    @Test
    void framesOfTheWarmedWorker_areByteIdenticalToAFreshInterpreters(@TempDir Path dir) throws Exception {
        List<String> programs = CHARTS;
        WorkerPackage pkg = WorkerPackage.extract(dir.resolve("pkg"));
        RenderSettings s = RenderSettings.MATPLOTLIB_DEFAULTS;
        for (int i = 0; i < programs.size(); i++) {
            RenderResult warm = engine.render(RenderRequest.of("matplotlib", programs.get(i)));
            assertTrue(warm.ok(), warm.error());
            Path program = Files.writeString(dir.resolve("p" + i + ".py"), programs.get(i));
            Path out = Files.createDirectories(dir.resolve("fresh" + i));
            Process p = new ProcessBuilder(RenderEngine.Builder.defaultPython().toString(), "-I", "-c", String.join("\n",
                    "import sys",
                    "sys.path.insert(0, sys.argv[1])",
                    "import matplotlib",
                    "matplotlib.use('Agg', force=True)",
                    "from renderloop_worker.matplotlib_driver import Driver",
                    "code = compile(open(sys.argv[2], 'rb').read(), 'scene.py', 'exec', dont_inherit=True)",
                    "Driver().render(code, {'width': sys.argv[4], 'height': sys.argv[5], 'dpi': sys.argv[6]}, sys.argv[3])"),
                    pkg.directory().getParent().toString(), program.toString(), out.toString(), Integer.toString(s.width()),
                    Integer.toString(s.height()), Integer.toString(s.dpi()))
                    .directory(out.toFile()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(out.resolve("frame_00000.png")), Files.readAllBytes(warm.lastFrame())),
                    "program " + i + ": the warm worker's frame differs from a fresh interpreter's");
        }
    }
    /**
     * The driver writes its PNG itself (base.write_png: unfiltered rows, deflate level 1) instead of through Pillow,
     * taking over matplotlib's one imsave call: the pixels must be those of plain {@code savefig} to PNG in a fresh
     * interpreter without the driver, for every kind of figure, a tight bounding box (another size) and transparent
     * patches (alpha) included. Compared as decoded ARGB, exactly.
     */
    @Test
    void framePixels_equalPlainSavefigInAFreshInterpreter(@TempDir Path dir) throws Exception {
        List<String> programs = new java.util.ArrayList<>(CHARTS);
        programs.add("import matplotlib.pyplot as plt\nimport numpy as np\nx = np.linspace(0, 6, 50)\n"
                + "plt.scatter(x, np.sin(x), c=x, alpha=0.5)\nplt.colorbar()\n");  // translucent markers
        programs.add("import matplotlib.pyplot as plt\nplt.rcParams['savefig.bbox'] = 'tight'\nplt.plot([1, 3, 2])\n"
                + "plt.gcf().patch.set_alpha(0.0)\nplt.gca().patch.set_alpha(0.3)\n");  // another size; transparent patches
        RenderSettings s = RenderSettings.MATPLOTLIB_DEFAULTS;
        for (int i = 0; i < programs.size(); i++) {
            RenderResult warm = engine.render(RenderRequest.of("matplotlib", programs.get(i)));
            assertTrue(warm.ok(), warm.error());
            Path program = Files.writeString(dir.resolve("p" + i + ".py"), programs.get(i));
            Path plain = dir.resolve("plain" + i + ".png");
            Process p = new ProcessBuilder(RenderEngine.Builder.defaultPython().toString(), "-I", "-c", String.join("\n",
                    "import sys",
                    "import matplotlib",
                    "matplotlib.use('Agg', force=True)",
                    "import matplotlib.pyplot as plt",
                    "exec(compile(open(sys.argv[1], 'rb').read(), 'scene.py', 'exec'), {'__name__': 'scene'})",
                    "fig = plt.figure(plt.get_fignums()[0])",
                    "dpi = float(sys.argv[5])",
                    "fig.set_dpi(dpi)",
                    "fig.set_size_inches(int(sys.argv[3]) / dpi, int(sys.argv[4]) / dpi)",
                    "fig.savefig(sys.argv[2], dpi=dpi, facecolor='white', format='png')"),
                    program.toString(), plain.toString(), Integer.toString(s.width()), Integer.toString(s.height()),
                    Integer.toString(s.dpi()))
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
            BufferedImage expected = ImageIO.read(plain.toFile());
            BufferedImage actual = ImageIO.read(warm.lastFrame().toFile());
            assertEquals(expected.getWidth() + "x" + expected.getHeight(), actual.getWidth() + "x" + actual.getHeight(), "program " + i);
            int[] want = expected.getRGB(0, 0, expected.getWidth(), expected.getHeight(), null, 0, expected.getWidth());
            int[] got = actual.getRGB(0, 0, actual.getWidth(), actual.getHeight(), null, 0, actual.getWidth());
            assertTrue(java.util.Arrays.equals(want, got), "program " + i + ": pixels differ from plain savefig's");
            assertFalse(java.util.Arrays.equals(Files.readAllBytes(plain), Files.readAllBytes(warm.lastFrame())),
                    "program " + i + ": the driver's own writer made the file (Pillow's would be byte-identical)");
        }
    }

    /** The driver restores what it redirects, so a second render in one process draws again (tests and profiles do that). */
    @Test
    void theDriverRendersTwiceInOneProcess(@TempDir Path dir) throws Exception {
        WorkerPackage pkg = WorkerPackage.extract(dir.resolve("pkg"));
        Process p = new ProcessBuilder(RenderEngine.Builder.defaultPython().toString(), "-I", "-c", String.join("\n",
                "import sys, os",
                "sys.path.insert(0, sys.argv[1])",
                "import matplotlib",
                "matplotlib.use('Agg', force=True)",
                "import matplotlib.pyplot as plt",
                "from matplotlib.figure import Figure",
                "from renderloop_worker.matplotlib_driver import Driver",
                "code = compile(\"import matplotlib.pyplot as plt\\nplt.plot([1, 3, 2])\\nplt.savefig('x.png')\\n\", 'scene.py', 'exec')",
                "before = (Figure.savefig, plt.show, plt.savefig)",
                "for n in ('a', 'b'):",
                "    out = os.path.join(sys.argv[2], n)",
                "    os.makedirs(out)",
                "    Driver().render(code, {'width': 320, 'height': 240, 'dpi': 100}, out)",
                "    plt.close('all')",
                "assert (Figure.savefig, plt.show, plt.savefig) == before, 'not restored'"),
                pkg.directory().getParent().toString(), dir.toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), log);
        assertTrue(Files.size(dir.resolve("b/frame_00000.png")) > 0, "the second render wrote its frame");
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a/frame_00000.png")),
                Files.readAllBytes(dir.resolve("b/frame_00000.png"))), "both renders drew the same frame");
    }
}
