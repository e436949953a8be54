import matplotlib.pyplot as plt

languages = ["Python", "Java", "Rust", "Go", "C++"]
scores = [82, 74, 69, 65, 71]
fig, ax = plt.subplots()
bars = ax.bar(languages, scores, color=["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3"])
ax.bar_label(bars)
ax.set_ylabel("Score")
ax.set_title("Benchmark score by language")
ax.set_ylim(0, 100)
plt.savefig("chart.png")
