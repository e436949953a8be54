"""Writes matplotlib-charts.jsonl: 30 small matplotlib programs (10 chart kinds x 3 variants) in the suite format
({"id", "domain", "description", "code"}), a corpus for `renderloop data build --from data/corpora/matplotlib-charts.jsonl`
and its throughput figure (matplotlib has no bundled suite). Written for RenderLoop; deterministic (seeded data).

Usage: python3 make_matplotlib_charts.py > matplotlib-charts.jsonl
"""
import json
import random

VARIANTS = [
    {"title": "Monthly sales", "labels": ["Jan", "Feb", "Mar", "Apr", "May"], "colour": "tab:blue", "grid": True},
    {"title": "Survey answers", "labels": ["Never", "Rarely", "Sometimes", "Often"], "colour": "#e4572e", "grid": False},
    {"title": "Team velocity", "labels": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"], "colour": "seagreen", "grid": True},
]


def values(rng, n, low=10, high=90):
    return [rng.randint(low, high) for _ in range(n)]


def bar(v, rng):
    return (f"labels = {v['labels']!r}\nheights = {values(rng, len(v['labels']))}\nfig, ax = plt.subplots()\n"
            f"ax.bar(labels, heights, color={v['colour']!r})\nax.set_ylabel('count')\n",
            f"A vertical bar chart titled '{v['title']}' with {len(v['labels'])} {v['colour']} bars labelled "
            + ", ".join(v["labels"]) + ".")


def barh(v, rng):
    return (f"names = {v['labels']!r}\nwidths = {values(rng, len(v['labels']))}\nplt.barh(names, widths, color={v['colour']!r}, "
            f"edgecolor='black')\nplt.xlabel('share (%)')\n",
            f"A horizontal bar chart titled '{v['title']}' with black-edged {v['colour']} bars for " + ", ".join(v["labels"]) + ".")


def line(v, rng):
    n = len(v["labels"])
    return (f"x = list(range({n}))\ny1 = {values(rng, n)}\ny2 = {values(rng, n)}\nplt.plot(x, y1, marker='o', "
            f"color={v['colour']!r}, label='this year')\nplt.plot(x, y2, linestyle='--', color='gray', label='last year')\n"
            f"plt.xticks(x, {v['labels']!r})\nplt.legend()\n",
            f"Two lines titled '{v['title']}': a solid {v['colour']} line with round markers and a dashed grey line, with a legend.")


def scatter(v, rng):
    n = 10 + 5 * len(v["labels"])
    return (f"import numpy as np\nrng = np.random.default_rng({rng.randint(0, 99)})\nx = rng.uniform(0, 10, {n})\n"
            f"y = 2 * x + rng.normal(0, 2, {n})\nplt.scatter(x, y, s=25, c={v['colour']!r}, alpha=0.7)\n"
            f"plt.xlabel('x')\nplt.ylabel('y')\n",
            f"A scatter plot titled '{v['title']}' of {n} semi-transparent {v['colour']} points rising from left to right.")


def pie(v, rng):
    return (f"sizes = {values(rng, len(v['labels']), 5, 40)}\nfig, ax = plt.subplots()\nax.pie(sizes, labels={v['labels']!r}, "
            f"autopct='%1.0f%%', startangle=90)\nax.axis('equal')\n",
            f"A pie chart titled '{v['title']}' with {len(v['labels'])} slices labelled with their percentages.")


def hist(v, rng):
    bins = 5 + 3 * len(v["labels"])
    return (f"import numpy as np\ndata = np.random.default_rng({rng.randint(0, 99)}).normal({rng.randint(40, 60)}, 12, 800)\n"
            f"plt.hist(data, bins={bins}, color={v['colour']!r}, edgecolor='white')\nplt.ylabel('frequency')\n",
            f"A histogram titled '{v['title']}' of a bell-shaped distribution in {bins} {v['colour']} bins.")


def stack(v, rng):
    n = len(v["labels"])
    return (f"x = list(range({n}))\na = {values(rng, n, 5, 30)}\nb = {values(rng, n, 5, 30)}\nc = {values(rng, n, 5, 30)}\n"
            f"plt.stackplot(x, a, b, c, labels=['north', 'south', 'east'], alpha=0.8)\nplt.legend(loc='upper left')\n"
            f"plt.xticks(x, {v['labels']!r})\n",
            f"A stacked area chart titled '{v['title']}' with three layers (north, south, east) and a legend at the upper left.")


def errorbar(v, rng):
    n = len(v["labels"])
    return (f"x = list(range({n}))\nmeans = {values(rng, n, 20, 80)}\nerrors = {values(rng, n, 2, 9)}\n"
            f"plt.errorbar(x, means, yerr=errors, fmt='s', color={v['colour']!r}, capsize=4)\nplt.xticks(x, {v['labels']!r})\n",
            f"Square {v['colour']} markers with capped error bars titled '{v['title']}', one per category.")


def step(v, rng):
    n = len(v["labels"])
    return (f"x = list(range({n}))\ny = {sorted(values(rng, n))}\nplt.step(x, y, where='mid', color={v['colour']!r}, "
            f"linewidth=2)\nplt.fill_between(x, y, step='mid', alpha=0.2, color={v['colour']!r})\n",
            f"A rising step line titled '{v['title']}' in {v['colour']} with a light fill under it.")


def boxplot(v, rng):
    groups = len(v["labels"])
    return (f"import numpy as np\nrng = np.random.default_rng({rng.randint(0, 99)})\n"
            f"groups = [rng.normal(m, 8, 60) for m in {values(rng, groups, 30, 70)}]\n"
            f"plt.boxplot(groups)\nplt.xticks(range(1, {groups + 1}), {v['labels']!r})\n",
            f"A box plot titled '{v['title']}' with {groups} boxes labelled " + ", ".join(v["labels"]) + ".")


KINDS = [bar, barh, line, scatter, pie, hist, stack, errorbar, step, boxplot]


def main():
    rng = random.Random(19)
    for kind in KINDS:
        for i, v in enumerate(VARIANTS):
            body, description = kind(v, rng)
            grid = "plt.grid(True, alpha=0.3)\n" if v["grid"] and kind is not pie else ""
            code = f"import matplotlib.pyplot as plt\n\n{body}{grid}plt.title({v['title']!r})\nplt.tight_layout()\n"
            print(json.dumps({"id": f"mpl-{kind.__name__}-{i + 1}", "domain": "matplotlib", "description": description,
                              "code": code}))


if __name__ == "__main__":
    main()
