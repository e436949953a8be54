import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(7)
x = rng.uniform(0, 10, 120)
y = 1.8 * x + rng.normal(0, 2.5, x.size)
slope, intercept = np.polyfit(x, y, 1)
fig, ax = plt.subplots()
ax.scatter(x, y, s=18, alpha=0.7, c=y, cmap="viridis")
xs = np.array([0, 10])
ax.plot(xs, slope * xs + intercept, color="crimson", label=f"fit: y = {slope:.2f}x + {intercept:.2f}")
ax.legend()
ax.set_title("Scatter with a least-squares line")
fig.savefig("scatter.png", dpi=300, bbox_inches="tight")
