import numpy as np
import matplotlib.pyplot as plt

t = np.linspace(0, 1, 200)
fig, axes = plt.subplots(2, 2, sharex=True)
for k, ax in enumerate(axes.flat, start=1):
    ax.plot(t, np.sin(2 * np.pi * k * t), color=f"C{k}")
    ax.set_title(f"{k} Hz")
fig.suptitle("Four frequencies")
fig.tight_layout()
plt.savefig("grid.png")
