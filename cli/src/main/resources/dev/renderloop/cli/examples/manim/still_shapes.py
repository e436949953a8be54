from manim import *


class StillShapes(Scene):
    def construct(self):
        shapes = VGroup(
            Circle(radius=0.8, color=RED, fill_opacity=0.8),
            Square(side_length=1.5, color=GREEN, fill_opacity=0.8),
            Triangle(color=YELLOW, fill_opacity=0.8),
        ).arrange(RIGHT, buff=0.6)
        self.add(shapes)
