from manim import *


class StillNumberPlane(Scene):
    def construct(self):
        plane = NumberPlane(x_range=[-5, 5, 1], y_range=[-3, 3, 1])
        vector = Arrow(plane.c2p(0, 0), plane.c2p(3, 2), buff=0, color=YELLOW)
        dot = Dot(plane.c2p(3, 2), color=RED)
        self.add(plane, vector, dot)
