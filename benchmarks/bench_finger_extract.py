"""Minutiae extraction: speed on a 640 x 480, 500 ppi image (one core) and accuracy (F1)
against the ground truth of synthetic impressions.

    python benchmarks/bench_finger_extract.py [--masters 6] [--repeat 15]

Prints the median extraction time (wall clock, and CPU time of this process, the figure
to read on a shared machine; also the minutiae part alone, without the quality score that
``extract`` adds, and the CPU time of each stage), the same-run baseline (one 3x3 Sobel
pass plus one forward/inverse DFT of the same image: what any pipeline pays at least) and
their ratio,
then precision/recall/F1 with a 12 px / 30 degree tolerance on "good" impressions and, for
reference, on dry/wet/smudged ones. Targets: <= 20 ms median (NIST MINDTCT: 18-46 ms),
F1 >= 0.85 on good impressions.
"""

from __future__ import annotations

import argparse
import math
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2
import numpy as np
from bench_timing import cpu_ms, median_ms

from idcapture.biometrics import finger

cv2.setNumThreads(1)


def match(truth: np.ndarray, got: np.ndarray, tol: float = 12.0,
          angle_tol: float = math.radians(30)) -> int:
    """Greedy one-to-one pairs within ``tol`` px whose angles differ by <= ``angle_tol``."""
    if len(truth) == 0 or len(got) == 0:
        return 0
    d = np.hypot(truth[:, None, 0] - got[None, :, 0], truth[:, None, 1] - got[None, :, 1])
    da = np.abs((truth[:, None, 2] - got[None, :, 2] + math.pi) % (2 * math.pi) - math.pi)
    d = np.where(da <= angle_tol, d, np.inf)
    used_t: set[int] = set()
    used_g: set[int] = set()
    n = 0
    for flat in np.argsort(d, axis=None):
        i, j = divmod(int(flat), d.shape[1])
        if not d[i, j] <= tol:
            break
        if i not in used_t and j not in used_g:
            used_t.add(i)
            used_g.add(j)
            n += 1
    return n


def stage_split(img: np.ndarray, repeat: int) -> dict[str, float]:
    """CPU median (ms) of each stage of :func:`finger.extract` on ``img``, each timed
    alone on inputs made by the stages before it."""
    from idcapture.biometrics.finger.analysis import analyse, rescaled
    from idcapture.biometrics.finger.enhancement import (
        enhance_small,
        normalise_contrast,
        upscale_half,
    )
    from idcapture.biometrics.finger.extractor import minutiae_scale, template_from_analysis
    from idcapture.biometrics.finger.image import BASE_PPI
    from idcapture.biometrics.finger.quality import score_only
    from idcapture.biometrics.finger.skeleton import thin_with_codes

    an = analyse(img)
    f = minutiae_scale(an)
    ppi = max(100, round(BASE_PPI / f))
    found = an if f == 1.0 else rescaled(an, img, ppi)

    def enhancement() -> np.ndarray:
        half = enhance_small(normalise_contrast(found.half, 4.0), found.orientation.theta,
                             found.period, found.finger_mask)
        return upscale_half(half, found.shape)

    enhanced = found.enhanced                  # cached from here on: the stages after it
    out = {"analysis": cpu_ms(lambda: analyse(img), repeat),
           "rescaled analysis": cpu_ms(lambda: rescaled(an, img, ppi), repeat)
           if f != 1.0 else 0.0,
           "enhancement": cpu_ms(enhancement, repeat),
           "thinning": cpu_ms(lambda: thin_with_codes(enhanced < 0), repeat)}
    # minutiae detection and clean-up (tracing, false-minutia rules, quality) with the
    # template built: what template_from_analysis adds to the thinning
    out["minutiae and template"] = cpu_ms(lambda: template_from_analysis(found), repeat) \
        - out["thinning"]
    out["quality score"] = cpu_ms(lambda: score_only(an), repeat)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--masters", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    from idcapture.synth.fingerprints import generate_master, make_impression

    master = generate_master(11, size=(480, 640))
    img = make_impression(master, seed=1, style="good").image
    assert img.shape == (480, 640), img.shape
    f32 = img.astype(np.float32)

    def baseline() -> None:
        cv2.Sobel(f32, cv2.CV_32F, 1, 0, ksize=3)
        spec = cv2.dft(f32, flags=cv2.DFT_COMPLEX_OUTPUT)
        cv2.idft(spec, flags=cv2.DFT_REAL_OUTPUT)

    from idcapture.biometrics.finger.analysis import analyse
    from idcapture.biometrics.finger.extractor import template_from_analysis

    def minutiae_only() -> None:
        template_from_analysis(analyse(img))

    finger.extract(img)
    t_ext = median_ms(lambda: finger.extract(img), args.repeat)
    t_base = median_ms(baseline, args.repeat)
    c_ext = cpu_ms(lambda: finger.extract(img), args.repeat)
    c_base = cpu_ms(baseline, args.repeat)
    c_min = cpu_ms(minutiae_only, args.repeat)
    print(f"extract 640x480: wall median {t_ext:.1f} ms, CPU median {c_ext:.1f} ms (target <= "
          f"20 ms); baseline wall {t_base:.2f} ms, CPU {c_base:.2f} ms; CPU ratio "
          f"{c_ext / c_base:.1f}x; {len(finger.extract(img).minutiae)} minutiae")
    print(f"  of which minutiae alone (analysis, enhancement, skeleton, clean-up, template; "
          f"no quality score, at the image's own scale): CPU median {c_min:.1f} ms, ratio "
          f"{c_min / c_base:.1f}x; the analysis again at the scale minutiae are found at and "
          f"the quality score take the rest ({c_ext - c_min:.1f} ms)")
    split = stage_split(img, args.repeat)
    print("  CPU median per stage (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in split.items())
          + f"; sum {sum(split.values()):.1f}")

    for style in ("good", "dry", "wet", "smudged"):
        tp = n_truth = n_got = 0
        for seed in range(args.masters):
            m = generate_master(100 + seed)
            imp = make_impression(m, seed=seed, style=style)
            truth = np.array([(t.x, t.y, t.angle) for t in imp.minutiae]).reshape(-1, 3)
            got = finger.extract(imp.image).as_array()[:, :3]
            tp += match(truth, got)
            n_truth += len(truth)
            n_got += len(got)
        p = tp / max(n_got, 1)
        r = tp / max(n_truth, 1)
        f1 = 2 * p * r / max(p + r, 1e-9)
        target = " (target >= 0.85)" if style == "good" else ""
        print(f"{style:8s} precision {p:.3f} recall {r:.3f} F1 {f1:.3f}{target} "
              f"[{n_truth} true, {n_got} found, {args.masters} impressions]")


if __name__ == "__main__":
    main()
