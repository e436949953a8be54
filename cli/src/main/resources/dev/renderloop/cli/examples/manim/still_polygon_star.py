from manim import *


class StillPolygonStar(Scene):
    def construct(self):
        star = Star(n=5, outer_radius=2, color=GOLD, fill_opacity=0.7)
        hexagon = RegularPolygon(n=6, color=TEAL).scale(0.8).to_corner(UL)
        self.add(star, hexagon)
