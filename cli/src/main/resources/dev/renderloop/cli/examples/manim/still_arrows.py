from manim import *


class StillArrows(Scene):
    def construct(self):
        boxes = VGroup(*[RoundedRectangle(corner_radius=0.2, width=2, height=1, color=c)
                         for c in (BLUE, GREEN, ORANGE)]).arrange(RIGHT, buff=1.2)
        arrows = VGroup(*[Arrow(a.get_right(), b.get_left(), buff=0.1) for a, b in zip(boxes, boxes[1:])])
        self.add(boxes, arrows)
