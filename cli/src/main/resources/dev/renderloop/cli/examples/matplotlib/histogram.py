import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(3)
a = rng.normal(0, 1, 2000)
b = rng.normal(2, 0.7, 2000)
fig, ax = plt.subplots()
ax.hist(a, bins=40, alpha=0.6, label="group A")
ax.hist(b, bins=40, alpha=0.6, label="group B")
ax.legend()
ax.set_title("Two overlapping distributions")
plt.savefig("hist.png")
