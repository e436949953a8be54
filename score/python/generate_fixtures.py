#!/usr/bin/python3
"""Writes the parity fixtures of the score module's visual metrics (see README.md beside this file).

Run from the repository root:  /usr/bin/python3 score/python/generate_fixtures.py
Needs python3-numpy, python3-opencv, python3-skimage (Debian apt). Deterministic: seeded generators only,
plus a few target PNGs copied from the task module's suites.
"""
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vs_reference as ref  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "score/src/test/resources/dev/renderloop/score/fixtures"
SUITES = ROOT / "task/src/main/resources/dev/renderloop/task/suites"


def canvas(rng, w, h):
    base = rng.integers(180, 256, 3).tolist()
    return np.full((h, w, 3), base, np.uint8)


def shapes(rng, w, h, n=6):
    img = canvas(rng, w, h)
    for _ in range(n):
        color = rng.integers(0, 256, 3).tolist()
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), int(rng.integers(3, max(4, min(w, h) // 3))), color, -1)
        else:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(4, w // 2 + 5)), y + int(rng.integers(4, h // 2 + 5))), color, -1)
    return img


def strokes(rng, w, h):
    img = canvas(rng, w, h)
    for line in range(int(rng.integers(2, 6))):
        text = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(4, 12))))
        cv2.putText(img, text, (int(rng.integers(0, w // 3)), 12 + line * max(12, h // 6)),
                    cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.3, 0.8)), rng.integers(0, 120, 3).tolist(), 1)
    for _ in range(4):
        cv2.line(img, tuple(int(v) for v in rng.integers(0, [w, h])), tuple(int(v) for v in rng.integers(0, [w, h])),
                 rng.integers(0, 256, 3).tolist(), int(rng.integers(1, 4)))
    return img


def noise(rng, w, h, amount):
    img = shapes(rng, w, h).astype(np.int16)
    img += rng.normal(0, amount, img.shape).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def write(path, bgr):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), bgr)


def ssim_pairs(rng):
    d = OUT / "ssim"
    rows = []
    kinds = [shapes, strokes, lambda r, w, h: noise(r, w, h, 25)]
    # (reference size, candidate size): equal, integer 2x and 3x shrink, non-integer shrink, enlarge, mixed
    sizes = [((96, 64), (96, 64)), ((160, 120), (160, 120)), ((64, 64), (128, 128)), ((90, 60), (270, 180)),
             ((100, 75), (133, 101)), ((120, 90), (80, 60)), ((48, 40), (100, 30)), ((7, 7), (7, 7)),
             ((31, 9), (45, 20)), ((200, 150), (200, 150)), ((77, 53), (154, 159)), ((150, 100), (149, 101))]
    k = 0
    for (rw, rh), (cw, ch) in sizes:
        for make in kinds[:2] if rw * rh > 15000 else kinds:
            a = make(rng, rw, rh)
            # candidates: an unrelated picture, and a perturbed copy of the reference (high SSIM)
            for related in (False, True):
                if related:
                    # blurred, shifted and partly overdrawn: high but not perfect SSIM, and PNG-compressible
                    b = cv2.GaussianBlur(cv2.resize(a, (cw, ch), interpolation=cv2.INTER_NEAREST), (3, 3), 0)
                    b = np.roll(b, int(rng.integers(-2, 3)), axis=1)
                    cv2.rectangle(b, (0, 0), (cw // 4, ch // 5), rng.integers(0, 256, 3).tolist(), -1)
                else:
                    b = make(rng, cw, ch)
                name = f"p{k:02d}"
                write(d / f"{name}-a.png", a)
                write(d / f"{name}-b.png", b)
                rows.append((name, f"{name}-a.png", f"{name}-b.png", ref.ssim(ref.gray(a), ref.gray(b))))
                k += 1
    # real rendered targets from the task suites (same size and different sizes)
    real = [("rdkit/targets/rdkit-001.png", "rdkit/targets/rdkit-002.png"),
            ("smiles/targets/smiles-001.png", "rdkit/targets/rdkit-001.png"),
            ("svg/targets/svg-001.png", "rdkit/targets/rdkit-003.png"),
            ("tikz/targets/tikz-001.png", "tikz/targets/tikz-003.png"),
            ("tikz/targets/tikz-004.png", "svg/targets/svg-002.png"),
            ("html/targets/html-001.png", "html/targets/html-003.png")]
    for i, (x, y) in enumerate(real):
        name = f"r{i:02d}"
        fa, fb = f"{name}-a.png", f"{name}-b.png"
        shutil.copyfile(SUITES / x, d / fa)
        shutil.copyfile(SUITES / y, d / fb)
        a, b = cv2.imread(str(d / fa)), cv2.imread(str(d / fb))
        rows.append((name, fa, fb, ref.ssim(ref.gray(a), ref.gray(b))))
    with open(d / "pairs.tsv", "w") as f:
        f.write("# name\treference\tcandidate\tskimage_ssim (candidate gray resized to the reference size, INTER_AREA)\n")
        for r in rows:
            f.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]!r}\n")
    return len(rows)


def resizes(rng):
    d = OUT / "resize"
    rows = []
    targets = [(50, 40), (25, 20), (17, 13), (33, 27), (100, 80), (120, 45), (51, 41), (16, 57), (1, 1), (7, 3), (50, 40)]
    for i in range(8):
        w, h = int(rng.integers(20, 80)), int(rng.integers(20, 80))
        src = noise(rng, w, h, 40) if i % 2 else strokes(rng, w, h)
        write(d / f"src{i}.png", src)
        g = ref.gray(src)
        cases = [(w, h), (w // 2, h // 2), (max(1, w // 3), max(1, h // 3))] + [targets[int(rng.integers(0, len(targets)))] for _ in range(3)]
        cases += [(int(w * 1.7), int(h * 2.3)), (w * 2, h), (w, max(1, h - 5))]
        for (tw, th) in cases:
            tw, th = max(1, tw), max(1, th)
            out = g if (tw, th) == (w, h) else cv2.resize(g, (tw, th), interpolation=cv2.INTER_AREA)
            name = f"src{i}-{tw}x{th}.png"
            write(d / name, cv2.cvtColor(out, cv2.COLOR_GRAY2BGR))  # gray replicated: exact through any PNG reader
            rows.append((f"src{i}.png", tw, th, name))
    with open(d / "resize.tsv", "w") as f:
        f.write("# source (RGB)\twidth\theight\texpected: cv2.resize(cvtColor(source, BGR2GRAY), INTER_AREA), gray in R=G=B\n")
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")


def frames_moving(rng, w, h, n, speed, radius, color, extra=False, amount=0):
    out = []
    bg = canvas(rng, w, h)
    for t in range(n):
        img = bg.copy()
        cv2.circle(img, (int(10 + speed * t) % w, h // 2 + int(5 * np.sin(t))), radius, color, -1)
        if extra:
            cv2.rectangle(img, (w // 3, 5 + t), (w // 3 + 20, 25 + t), (20, 120, 200), -1)
        if amount:
            img = np.clip(img.astype(np.int16) + rng.normal(0, amount, img.shape), 0, 255).astype(np.uint8)
        out.append(img)
    return out


def videos(rng):
    d = OUT / "vs"
    cases = {
        "moving": (frames_moving(rng, 96, 64, 7, 9, 8, (30, 30, 200)), frames_moving(rng, 96, 64, 5, 14, 10, (30, 30, 200), True)),
        "still_vs_video": ([shapes(rng, 80, 60)], frames_moving(rng, 80, 60, 4, 12, 9, (200, 40, 40))),
        "stills": ([shapes(rng, 80, 60)], [strokes(rng, 80, 60)]),
        "resized": (frames_moving(rng, 120, 90, 5, 15, 12, (0, 160, 0)), frames_moving(rng, 160, 120, 4, 20, 16, (0, 160, 0), True)),
        "noisy": ([noise(rng, 64, 48, 60) for _ in range(6)], [noise(rng, 64, 48, 60) for _ in range(8)]),
    }
    rows = []
    for name, (a, b) in cases.items():
        for side, frames in (("ref", a), ("cand", b)):
            for i, f in enumerate(frames):
                write(d / name / side / f"{i:03d}.png", f)
        r = ref.vs_ssim_parts([ref.gray(f) for f in a], [ref.gray(f) for f in b])
        rows.append((name, r["vs_paper_ssim"], r["vs_corrected_ssim"], r["mean_frame_ssim"], r.get("vs_paper_ssim_fastdtw", "-"), r["dtw"]))
    with open(d / "expected.tsv", "w") as f:
        f.write("# case\tvs_paper_ssim (exact DTW)\tvs_corrected_ssim\tmean_frame_ssim\tvs_paper_ssim with fastdtw or -\tdtw used\n")
        for r in rows:
            f.write("\t".join(x if isinstance(x, str) else repr(float(x)) for x in r) + "\n")


def tiled(rng):
    d = OUT / "tiled"
    pairs = []
    shutil.copyfile(SUITES / "tikz/targets/tikz-001.png", d / "t0-a.png") if d.exists() else None
    d.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SUITES / "tikz/targets/tikz-001.png", d / "t0-a.png")
    write(d / "t0-b.png", shapes(rng, 500, 240))
    shutil.copyfile(SUITES / "svg/targets/svg-001.png", d / "t1-a.png")
    shutil.copyfile(SUITES / "svg/targets/svg-002.png", d / "t1-b.png")
    shutil.copyfile(SUITES / "html/targets/html-001.png", d / "t2-a.png")
    shutil.copyfile(SUITES / "html/targets/html-003.png", d / "t2-b.png")
    a = shapes(rng, 1024, 768, 12)
    write(d / "t3-a.png", a)
    b = cv2.GaussianBlur(a[:, ::-1], (5, 5), 0)
    cv2.circle(b, (300, 300), 120, (10, 200, 30), -1)
    write(d / "t3-b.png", b)
    write(d / "t4-a.png", strokes(rng, 300, 900))
    write(d / "t4-b.png", strokes(rng, 250, 700))
    rows = []
    for i in range(5):
        ta, tb = cv2.imread(str(d / f"t{i}-a.png")), cv2.imread(str(d / f"t{i}-b.png"))
        r = ref.tiled_fallback(ta, tb)
        rows.append((f"t{i}-a.png", f"t{i}-b.png", r["columns"], r["rows"], r["tiled"]))
    with open(d / "expected.tsv", "w") as f:
        f.write("# target\tcandidate\tcolumns\trows\ttiled (SSIM fallback)\n")
        for r in rows:
            f.write("\t".join(x if isinstance(x, str) else repr(x) for x in r) + "\n")
    sizes = [(448, 448), (896, 448), (1280, 800), (854, 480), (1024, 768), (336, 336), (549, 253), (1, 12), (12, 1),
             (300, 900), (448 * 3, 448 * 4), (100, 150), (150, 100), (2000, 10), (640, 480), (800, 1280)]
    sizes += [(int(rng.integers(1, 3000)), int(rng.integers(1, 3000))) for _ in range(400)]
    with open(d / "grids.tsv", "w") as f:
        f.write("# width\theight\tcolumns\trows (InternVL find_closest_aspect_ratio, max_num=12, image_size=448)\n")
        for w, h in sizes:
            c, r = ref.grid(w, h)
            f.write(f"{w}\t{h}\t{c}\t{r}\n")


def main():
    rng = np.random.default_rng(20261122)
    if OUT.exists():
        shutil.rmtree(OUT)
    n = ssim_pairs(rng)
    resizes(rng)
    videos(rng)
    tiled(rng)
    print(f"wrote {n} SSIM pairs, resize, vs and tiled fixtures under {OUT.relative_to(ROOT)}"
          f" (dtw: {'fastdtw and exact' if ref.fastdtw else 'exact only, fastdtw not importable'})")


if __name__ == "__main__":
    main()
