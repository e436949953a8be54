#!/usr/bin/python3
"""Reference implementation of the published visual metrics, for parity fixtures and `renderloop perf score`.

This is the *published* computation, written plainly on the published stack:
  * grayscale: cv2.cvtColor(frame, COLOR_BGR2GRAY); other sizes: cv2.resize(..., INTER_AREA) to the reference size
  * SSIM: skimage.metrics.structural_similarity(a, b, data_range=255), every (reference, candidate) pair
  * VS SSIM part: A = row maxima, B = column maxima, DTW(A, B, |a-b|) / max(len A, len B) = d, exp(-5 d)
    with fastdtw when it is importable (as published) and an exact O(n m) DTW otherwise, plus the exact DTW
    always (RenderLoop uses exact DTW)
  * corrected SSIM part (RenderLoop's): exact DTW over 1 - M[i][j], same normalisation, exp(-5 d)
  * tiled reward (VinciCoder), with the weight-free tile similarity (SSIM + 1) / 2 on grayscale tiles

Needs Debian's /usr/bin/python3 with python3-numpy, python3-opencv, python3-skimage (apt); fastdtw optional.

Command line (used by `renderloop perf score`), prints one JSON object:
  vs_reference.py video REF_DIR CAND_DIR   # frames: *.png in name order
  vs_reference.py tiled TARGET.png CANDIDATE.png
"""
import json
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from skimage.metrics import structural_similarity

try:
    from fastdtw import fastdtw  # the published code's DTW (an approximation)
except ImportError:  # not installable from this project's mirror
    fastdtw = None

TILE = 448
MAX_TILES = 12


def gray(bgr):
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)


def resize_area(img, width, height):
    if img.shape[1] == width and img.shape[0] == height:
        return img
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)


def ssim(reference_gray, candidate_gray):
    h, w = reference_gray.shape[:2]
    return structural_similarity(reference_gray, resize_area(candidate_gray, w, h), data_range=255)


def exact_dtw(n, m, cost):
    """Exact DTW; returns (distance, path). Tie order as fastdtw's inner step: up, left, diagonal."""
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    move = {}
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            c = cost(i - 1, j - 1)
            options = ((acc[i - 1, j] + c, (i - 1, j)), (acc[i, j - 1] + c, (i, j - 1)),
                       (acc[i - 1, j - 1] + c, (i - 1, j - 1)))
            best = min(options, key=lambda o: o[0])
            acc[i, j] = best[0]
            move[(i, j)] = best[1]
    path = []
    i, j = n, m
    while not (i == 0 and j == 0):
        path.append((i - 1, j - 1))
        i, j = move[(i, j)]
    return float(acc[n, m]), path[::-1]


def ssim_matrix(reference_gray, candidate_gray):
    return np.array([[ssim(r, c) for c in candidate_gray] for r in reference_gray], dtype=np.float64)


def vs_ssim_parts(reference_gray, candidate_gray):
    """The published SSIM part (fastdtw if importable, and exact) and the corrected part, from gray frames."""
    m = ssim_matrix(reference_gray, candidate_gray)
    n, k = m.shape
    longer = max(n, k)
    a, b = m.max(axis=1), m.max(axis=0)
    exact, _ = exact_dtw(n, k, lambda i, j: abs(a[i] - b[j]))
    out = {"vs_paper_ssim": math.exp(-5 * exact / longer)}
    if fastdtw is not None:
        approx, _ = fastdtw(a, b)  # 1-D inputs: |a - b|, as published
        out["vs_paper_ssim_fastdtw"] = math.exp(-5 * approx / longer)
    corrected, path = exact_dtw(n, k, lambda i, j: 1.0 - m[i, j])
    out["vs_corrected_ssim"] = math.exp(-5 * corrected / longer)
    out["mean_frame_ssim"] = float(np.mean([m[i, j] for i, j in path]))
    out["dtw"] = "fastdtw (published) and exact" if fastdtw is not None else "exact (fastdtw not importable)"
    return out


def find_closest_aspect_ratio(aspect_ratio, target_ratios, width, height, image_size):
    # InternVL's selection, which VinciCoder's reward builds on.
    best_ratio_diff = float("inf")
    best_ratio = (1, 1)
    area = width * height
    for ratio in target_ratios:
        target_aspect_ratio = ratio[0] / ratio[1]
        ratio_diff = abs(aspect_ratio - target_aspect_ratio)
        if ratio_diff < best_ratio_diff:
            best_ratio_diff = ratio_diff
            best_ratio = ratio
        elif ratio_diff == best_ratio_diff:
            if area > 0.5 * image_size * image_size * ratio[0] * ratio[1]:
                best_ratio = ratio
    return best_ratio


def grid(width, height, min_num=1, max_num=MAX_TILES, image_size=TILE):
    target_ratios = set((i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1)
                        for j in range(1, n + 1) if min_num <= i * j <= max_num)
    target_ratios = sorted(target_ratios, key=lambda x: x[0] * x[1])
    return find_closest_aspect_ratio(width / height, target_ratios, width, height, image_size)


def tiled_fallback(target_bgr, candidate_bgr):
    """Tiled reward with (SSIM + 1) / 2 on grayscale tiles; all resizes INTER_AREA on the gray images."""
    t = gray(target_bgr)
    h, w = t.shape
    c = resize_area(gray(candidate_bgr), w, h)
    cols, rows = grid(w, h)
    tg = resize_area(t, TILE * cols, TILE * rows)
    cg = resize_area(c, TILE * cols, TILE * rows)
    scores = []
    for k in range(cols * rows):
        x, y = (k % cols) * TILE, (k // cols) * TILE
        scores.append((ssim(tg[y:y + TILE, x:x + TILE], cg[y:y + TILE, x:x + TILE]) + 1) / 2)
    if cols * rows > 1:
        scores.append((ssim(resize_area(t, TILE, TILE), resize_area(c, TILE, TILE)) + 1) / 2)
    return {"tiled": float(np.mean(scores)), "columns": cols, "rows": rows, "tiles": [float(s) for s in scores]}


def read_frames(folder):
    return [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(Path(folder).glob("*.png"))]


def main(argv):
    if len(argv) == 3 and argv[0] == "video":
        ref, cand = read_frames(argv[1]), read_frames(argv[2])
        start = time.perf_counter()
        out = vs_ssim_parts([gray(f) for f in ref], [gray(f) for f in cand])
        out["seconds"] = time.perf_counter() - start
        out["frames"] = [len(ref), len(cand)]
    elif len(argv) == 3 and argv[0] == "tiled":
        target, candidate = cv2.imread(argv[1], cv2.IMREAD_COLOR), cv2.imread(argv[2], cv2.IMREAD_COLOR)
        start = time.perf_counter()
        out = tiled_fallback(target, candidate)
        out["seconds"] = time.perf_counter() - start
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
