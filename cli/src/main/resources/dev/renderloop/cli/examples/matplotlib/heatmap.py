import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(-3, 3, 60)
X, Y = np.meshgrid(x, x)
Z = np.exp(-(X ** 2 + Y ** 2) / 2) * np.cos(2 * X)
fig, ax = plt.subplots()
im = ax.imshow(Z, cmap="magma", extent=(-3, 3, -3, 3), origin="lower")
fig.colorbar(im, ax=ax, label="amplitude")
ax.set_title("A damped wave")
plt.savefig("heatmap.png")
