from manim import *


class NumberLineMarker(Scene):
    def construct(self):
        line = NumberLine(x_range=[0, 10, 1], length=10, include_numbers=False)
        marker = Triangle(color=BLUE, fill_opacity=1).scale(0.2).rotate(PI).next_to(line.n2p(2), UP)
        self.add(line, marker)
        self.play(marker.animate.next_to(line.n2p(8), UP), run_time=1.5)
