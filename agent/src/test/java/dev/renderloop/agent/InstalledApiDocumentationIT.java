package dev.renderloop.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.renderloop.render.RenderEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Documentation and name suggestions from a real worker over a package written here, shaped like Manim's. */
class InstalledApiDocumentationIT {
    @TempDir
    static Path dir;
    private static RenderEngine engine;

    @BeforeAll
    static void start() throws Exception {
        Path pkg = Files.createDirectories(dir.resolve("site/minianim"));
        Files.writeString(pkg.resolve("__init__.py"), String.join("\n",
                "__version__ = '1.2.0'",
                "class Mobject:",
                "    '''Base class.'''",
                "    def shift(self, vector):",
                "        '''Move it.'''",
                "    def set_color(self, color):",
                "        '''Recolour it.'''",
                "class Circle(Mobject):",
                "    '''A circle.\\n\\nExamples\\n--------\\nCircle()\\n'''",
                "    def __init__(self, radius=1.0):",
                "        pass",
                "class Square(Mobject):",
                "    '''A square.'''",
                "class Animation:",
                "    '''Base animation.'''",
                "class Create(Animation):",
                "    '''Draw stroke by stroke.'''",
                "class Uncreate(Animation):",
                "    '''Undraw.'''",
                "class ShowPassingFlash(Animation):",
                "    '''A flash along the stroke.'''",
                "class ShowIncreasingSubsets(Animation):",
                "    '''Show submobjects one more at a time.'''",
                "class ShowSubmobjectsOneByOne(Animation):",
                "    '''Show submobjects one at a time.'''",
                "class DrawBorderThenFill(Animation):",
                "    '''Border, then fill.'''",
                "class FadeIn(Animation):",
                "    '''Fade in.'''",
                "class Scene:",
                "    def play(self, *animations):",
                "        '''Play.'''",
                "    def wait(self, duration=1.0):",
                "        '''Wait.'''",
                ""));
        // The sandboxed worker runs as another user: it must be able to read the package.
        for (Path p : List.of(dir, dir.resolve("site"), pkg)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.setPosixFilePermissions(pkg.resolve("__init__.py"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        engine = RenderEngine.builder().noCache().workers(1).pythonPath(List.of(dir.resolve("site"))).build();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @Test
    void hallucinatedNamesGetTheClosestRealOnes() throws Exception {
        Path indexRoot = dir.resolve("index");
        try (InstalledApiDocumentation docs = new InstalledApiDocumentation(engine.installedApi("minianim"), indexRoot)) {
            assertEquals("minianim 1.2.0", docs.source());
            assertEquals("Create", docs.suggest("ShowCreation").get(0), docs.suggest("ShowCreation").toString());
            assertEquals("FadeIn", docs.suggest("FadeInn").get(0));
            assertTrue(docs.suggest("Circle.set_colour").contains("Mobject.set_color") || docs.suggest("Circle.set_colour").contains("Circle.set_color"),
                    docs.suggest("Circle.set_colour").toString());

            List<ApiDoc> found = docs.lookup("from minianim import *\nclass S(Scene):\n    def construct(self):\n"
                    + "        c = Circle(radius=2)\n        self.play(ShowCreation(c))\n");
            assertEquals(List.of("Circle", "Scene.play", "ShowCreation"), found.stream().map(ApiDoc::name).toList());
            ApiDoc circle = found.get(0);
            assertEquals("Circle(radius=1.0)\nA circle.", circle.promptText());
            ApiDoc hallucinated = found.get(2);
            assertFalse(hallucinated.resolved());
            assertTrue(hallucinated.promptText().startsWith("no documentation available for ShowCreation (did you mean: Create"),
                    hallucinated.promptText());
        }
        assertTrue(Files.isRegularFile(indexRoot.resolve("minianim-1.2.0-i3/complete")), "built once per version, kept on disk");
        try (InstalledApiDocumentation again = new InstalledApiDocumentation(engine.installedApi("minianim"), indexRoot)) {
            assertEquals("Create", again.suggest("ShowCreation").get(0));
        }
    }

    @Test
    void aMissingPackageIsReportedWhenOpened() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new InstalledApiDocumentation(engine.installedApi("not_installed_here"), dir.resolve("idx2")));
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
    }

    @Test
    void wordsSplitCamelAndSnakeCase() {
        assertEquals("Show Creation", InstalledApiDocumentation.words("ShowCreation"));
        assertEquals("set color", InstalledApiDocumentation.words("Circle.set_color"));
        assertEquals("SVG Mobject", InstalledApiDocumentation.words("SVGMobject"));
    }
}
