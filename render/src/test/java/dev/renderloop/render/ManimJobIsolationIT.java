package dev.renderloop.render;

import java.time.Duration;
import java.util.List;

/**
 * {@link JobIsolationSuite} for real Manim, where the configured interpreter can import it; skipped
 * with the reason elsewhere (Manim is not installable from the registries CI reaches).
 */
class ManimJobIsolationIT extends JobIsolationSuite.Python {
    static final RenderSettings LIMITS = RenderSettings.defaultsFor("manim")
            .withTimeout(Duration.ofSeconds(60)).withMaxFileBytes(32L << 20).withMaxOutputBytes(64L << 20);

    ManimJobIsolationIT() {
        super("manim", LIMITS);
    }

    @Override
    List<String> benign() {
        // A still scene: its one frame is the scene's PNG. Anything found makes the square larger.
        return List.of(pythonProbe() + String.join("\n",
                "from manim import *",
                "class Probe(Scene):",
                "    def construct(self):",
                "        self.add(Square(side_length=1 + len(found), color=BLUE))", ""));
    }
}
