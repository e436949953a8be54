"""The published approach to rendering a chart, for `renderloop perf` only: one fresh interpreter per
program, matplotlib imported every time, savefig redirected to a fixed path, no sandbox.
Usage: python3 matplotlib_fresh.py PROGRAM OUT_PNG WIDTH HEIGHT DPI"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

program, out, width, height, dpi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
original = Figure.savefig
Figure.savefig = lambda fig, *a, **k: None
plt.show = lambda *a, **k: None
with open(program) as f:
    exec(compile(f.read(), program, "exec"), {"__name__": "__main__"})
fig = plt.gcf()
fig.set_size_inches(width / dpi, height / dpi)
original(fig, out, dpi=dpi, facecolor="white")
