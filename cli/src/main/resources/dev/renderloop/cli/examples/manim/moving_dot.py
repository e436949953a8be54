from manim import *


class MovingDot(Scene):
    def construct(self):
        path = Line(LEFT * 4, RIGHT * 4, color=GRAY)
        dot = Dot(path.get_start(), color=YELLOW)
        self.add(path, dot)
        self.play(MoveAlongPath(dot, path), run_time=2)
