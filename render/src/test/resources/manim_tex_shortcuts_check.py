"""For ManimPublishedModeIT: the manim driver's TexShortcuts against Manim's own LaTeX path.

usage: manim_tex_shortcuts_check.py WORKER_PARENT_DIR SCRATCH_DIR
Typesets each expression with Manim 0.18's tex_to_svg_file twice, in fresh media directories: first
with Manim's compile_tex/convert_to_svg, then with the driver's shortcuts attached; prints one JSON
line: per expression whether the SVG bytes are equal and whether Manim draws the same paths from
them (SVGMobject: every point, in family order), and the shortcuts' counts."""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
scratch = sys.argv[2]

import numpy  # noqa: E402
from manim import SVGMobject, TexTemplate, tempconfig  # noqa: E402
from manim.utils import tex_file_writing as writing  # noqa: E402

from renderloop_worker import manim_driver  # noqa: E402

custom = TexTemplate()
custom.add_to_preamble(r"\usepackage{xcolor}")
CASES = [
    ("x^2 + y^2 = z^2", "align*", None),
    (r"\frac{a}{b} \cdot \sqrt{2}", "align*", None),
    (r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}", "align*", None),
    ("Hello, world", "center", None),
    ("3.14", "align*", None),
    # The default template loads no color or graphics package; specials written by hand:
    (r"\special{color push rgb 1 0 0}x + 1\special{color pop}", "align*", None),
    (r"A\special{ps: 1 0 0 setrgbcolor}B", "center", None),
    (r"\textcolor{blue}{y}", "align*", custom),  # another preamble: latex as Manim runs it
]


def typeset(tag):
    # dvisvgm orders the SVG's glyph definitions by incidental state: the same DVI under another
    # path length came out in another order. Both passes use paths of equal length.
    # dvisvgm keeps a glyph cache under $HOME/.dvisvgm (or $XDG_CACHE_HOME) and orders the SVG's
    # definitions differently with a warm one: each pass starts cold, as every sandboxed job does.
    os.environ["HOME"] = os.environ["XDG_CACHE_HOME"] = os.path.join(scratch, "home-" + tag)
    os.makedirs(os.environ["HOME"])
    out = []
    for i, (expression, environment, template) in enumerate(CASES):
        media = os.path.join(scratch, "%s-%d" % (tag, i))
        os.makedirs(os.path.join(media, "Tex"))
        with tempconfig({"media_dir": media}):
            path = writing.tex_to_svg_file(expression, environment=environment, tex_template=template)
            with open(path, "rb") as f:
                out.append(f.read())
    return out


manim_way = typeset("a")
os.environ["HOME"] = os.path.join(scratch, "worker-home")  # where the warm parent builds its format
os.makedirs(os.environ["HOME"])
shortcuts = manim_driver.TexShortcuts.build()
shortcuts.attach()
ours = typeset("b")


def drawing(svg_bytes, tag):
    """What Manim draws from an SVG: every path's points, in the order of the mobject family."""
    path = os.path.join(scratch, "parse-%s.svg" % tag)
    with open(path, "wb") as f:
        f.write(svg_bytes)
    mobject = SVGMobject(path)
    return [m.points for m in mobject.family_members_with_points()]


def same_drawing(a, b):
    da, db = drawing(a, "a"), drawing(b, "b")
    return len(da) == len(db) and all(x.shape == y.shape and numpy.array_equal(x, y) for x, y in zip(da, db))


print(json.dumps({"describe": shortcuts.describe(), "counts": shortcuts.counts,
                  "same_bytes": [a == b for a, b in zip(manim_way, ours)],
                  "same_drawing": [same_drawing(a, b) for a, b in zip(manim_way, ours)],
                  "cases": [c[0] for c in CASES]}))
