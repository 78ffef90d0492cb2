"""Station finger step: the quality gate and the template of a kept thumb from one analysis.

    python benchmarks/bench_station_finger_step.py [--db FVC2002_DB1_B] [--images 40]

For each real impression (../shared/data/fingerprints/<db>, beside the checkout), the
median CPU time (one core) of the station's step, ``LibraryFingerQualityGate.assess``
then ``finger_template_of`` with the gate's analysis, against a same-run baseline: the
two library calls with an analysis each (``finger.quality`` then ``finger.extract``).
Also counts the images whose quality verdict and ISO/IEC 19794-2 template are identical
both ways (they must all be).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from bench_timing import cpu_ms
from PIL import Image

from idcapture.biometrics.finger import extract, quality
from idcapture.formats.iso19794_2 import template_record
from idcapture.record import FingerPosition
from idcapture.station.steps import LibraryFingerQualityGate, finger_template_of

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "fingerprints"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="FVC2002_DB1_B")
    ap.add_argument("--images", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    paths = sorted((DATA / args.db).glob("*.tif"))[: args.images]
    if not paths:
        print(f"no images in {DATA / args.db} (../shared/data is needed beside the checkout)")
        return 1
    gate = LibraryFingerQualityGate()
    pos = FingerPosition.RIGHT_THUMB
    same = 0
    base_ms: list[float] = []
    step_ms: list[float] = []
    for p in paths:
        img = np.asarray(Image.open(p).convert("L"))

        def two_analyses(img: np.ndarray = img) -> tuple[object, object]:
            return quality(img, 500, profile=gate.profile), extract(img, 500, position=pos)

        def station_step(img: np.ndarray = img) -> tuple[object, object]:
            verdict = gate.assess(img, 500, pos)
            return verdict, finger_template_of(img, 500, pos, verdict.analysis)

        base_ms.append(cpu_ms(two_analyses, args.repeat))
        step_ms.append(cpu_ms(station_step, args.repeat))
        q, tpl = quality(img, 500, profile=gate.profile), extract(img, 500, position=pos)
        verdict = gate.assess(img, 500, pos)
        mine = finger_template_of(img, 500, pos, verdict.analysis)
        report = q.to_report()
        expected = tpl if tpl.minutiae else None  # the station keeps no empty template
        same_template = (mine is None and expected is None) or (
            mine is not None and expected is not None
            and template_record(mine) == template_record(expected))
        same += (same_template and verdict.quality is not None
                 and verdict.quality.score == report.score
                 and (verdict.retry is None) == q.passed)
    n = len(paths)
    base, step = sum(base_ms) / n, sum(step_ms) / n
    print(f"{args.db}: {n} images, identical verdict and template {same}/{n}")
    print(f"CPU per thumb: station step {step:.1f} ms; baseline quality() + extract() "
          f"{base:.1f} ms; ratio {base / step:.2f}x")
    return 0 if same == n else 1


if __name__ == "__main__":
    sys.exit(main())
