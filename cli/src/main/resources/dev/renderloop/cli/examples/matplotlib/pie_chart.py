import matplotlib.pyplot as plt

sizes = [38, 27, 20, 15]
labels = ["Render", "Score", "Generate", "Other"]
fig, ax = plt.subplots()
ax.pie(sizes, labels=labels, autopct="%1.0f%%", startangle=90, explode=(0.06, 0, 0, 0))
ax.axis("equal")
ax.set_title("Where a training step spends its time")
