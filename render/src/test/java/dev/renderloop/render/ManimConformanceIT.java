package dev.renderloop.render;

/** The renderer contract, for the warm-worker manim renderer (on the Manim test double). */
class ManimConformanceIT extends RendererConformance {
    @Override
    protected Renderer newRenderer() {
        return new MatplotlibConformanceIT.DelegatingRenderer(TestEngines.withFakeManim(2), "manim");
    }

    @Override
    protected String validCode() {
        return "from manim import *\nclass A(Scene):\n    def construct(self):\n        self.play(FadeIn(Circle(color=RED)))\n";
    }

    @Override
    protected String otherValidCode() {
        return "from manim import *\nclass B(Scene):\n    def construct(self):\n        self.add(Square(color=GREEN))\n";
    }

    @Override
    protected String invalidCode() {
        return "from manim import *\nclass C:\n    pass\n";
    }

    @Override
    protected ErrorKind invalidKind() {
        return ErrorKind.NO_SCENE;
    }
}
