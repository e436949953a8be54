import numpy as np
import matplotlib.pyplot as plt

years = np.arange(2015, 2025)
solar = np.array([1, 2, 3, 5, 7, 10, 14, 19, 25, 32])
wind = np.array([4, 5, 6, 7, 9, 11, 12, 14, 16, 18])
hydro = np.full(years.size, 15)
fig, ax = plt.subplots()
ax.stackplot(years, hydro, wind, solar, labels=["hydro", "wind", "solar"], alpha=0.85)
ax.legend(loc="upper left")
ax.set_ylabel("share of electricity (%)")
ax.set_title("Renewable share by source")
plt.savefig("area.png")
