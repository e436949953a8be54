from manim import *


class FadeGrid(Scene):
    def construct(self):
        squares = VGroup(*[Square(side_length=0.8, color=TEAL, fill_opacity=0.6) for _ in range(12)])
        squares.arrange_in_grid(rows=3, cols=4, buff=0.25)
        self.play(FadeIn(squares, lag_ratio=0.1))
        self.play(squares.animate.set_color(PURPLE))
