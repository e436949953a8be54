import numpy as np
import matplotlib.pyplot as plt

x = np.linspace(0, 4 * np.pi, 400)
plt.figure()
plt.plot(x, np.sin(x), label="sin(x)", linewidth=2)
plt.plot(x, np.cos(x), "--", label="cos(x)")
plt.axhline(0, color="gray", linewidth=0.5)
plt.legend(loc="upper right")
plt.title("Sine and cosine")
plt.xlabel("x")
plt.show()
