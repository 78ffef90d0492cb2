"""Where a batched comparison's local-similarity time goes, stage by stage, on one core.

The templates of ``bench_finger_compare.py`` (synthetic impressions through the real
extractor, prepared once, 1,920 templates a gallery); for each of 24 probes, the minutiae
cylinders' sector blocks, then each step of fusing the texture cylinders into them, timed
with the process's CPU time (median over probes and rounds). Run with::

    taskset -c 0 .venv/bin/python benchmarks/bench_finger_texture_stages.py

The stages repeat what ``compare_core._sector_blocks`` does, so the sum of the texture
stages is its texture part; the exponential is timed apart on the same period differences
(it is inside the agreement). Figures follow the speed of a shared core: compare stages
within one run.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger.compare import gallery_arrays
from idcapture.biometrics.finger.compare_core import (
    GalleryArrays,
    _mcc_sector_blocks,
    _pack_bits,
)
from idcapture.biometrics.finger.mcc import DEFAULT_PARAMS
from idcapture.biometrics.finger.texture import DEFAULT_TEXTURE, agreement, fuse_into

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_finger_compare import synthetic_templates

ROUNDS = 5


def stages(probe: GalleryArrays, gallery: GalleryArrays) -> dict[str, float]:
    """CPU seconds of each stage for one probe against ``gallery``."""
    t: dict[str, float] = defaultdict(float)
    c0 = time.process_time()
    blocks = _mcc_sector_blocks(probe, gallery, DEFAULT_PARAMS)
    t["minutiae cylinders"] = time.process_time() - c0
    ptex = probe.probe_texture()
    gbits = gallery.tex_valid_bits()
    assert ptex is not None and gbits is not None and gallery.tex_orient is not None
    assert gallery.tex_period is not None
    po, pv, pp = ptex
    pdir = probe.direction[0, :po.shape[0]]
    pbits = _pack_bits(pv)[:, 0]
    scale = 1.0 / DEFAULT_TEXTURE.period_tolerance
    for rows, lo, block in blocks:
        hi = lo + block.shape[1]
        c0 = time.process_time()
        ts = po[rows] @ gallery.tex_orient[:, lo:hi]
        c1 = time.process_time()
        common = np.bitwise_count(np.bitwise_and(pbits[rows, None], gbits[None, lo:hi]))
        c2 = time.process_time()
        counts = agreement(ts, common, pv.shape[1], pp[rows], gallery.tex_period[lo:hi])
        c3 = time.process_time()
        same_side = (pdir[rows] @ gallery.valid_dir[-2:, lo:hi]) > 0.0
        c4 = time.process_time()
        fuse_into(block, ts, counts, same_side, DEFAULT_TEXTURE.weight)
        c5 = time.process_time()
        d = np.subtract(pp[rows][:, None] * scale, gallery.tex_period[lo:hi][None, :] * scale)
        d *= -d
        c6 = time.process_time()
        np.exp(d, out=d)
        c7 = time.process_time()
        for name, dt in (("orientation product", c1 - c0), ("valid-in-both counts", c2 - c1),
                         ("agreement", c3 - c2), ("direction test", c4 - c3),
                         ("fusion", c5 - c4), ("  of which exponential", c7 - c6)):
            t[name] += dt
    return t


def main() -> None:
    prepared = synthetic_templates()
    gallery = gallery_arrays(prepared * 80)
    probes = [gallery_arrays([p]) for p in prepared]
    got: dict[str, list[float]] = defaultdict(list)
    for r in range(ROUNDS + 1):
        for p in probes:
            s = stages(p, gallery)
            if r:                                                     # after a warm-up
                for k, v in s.items():
                    got[k].append(v)
    med = {k: float(np.median(v)) * 1e3 for k, v in got.items()}
    texture = sum(v for k, v in med.items()
                  if k not in ("minutiae cylinders", "  of which exponential"))
    print(f"one probe against {len(gallery)} templates ({gallery.columns} cylinders), "
          f"median CPU ms per call, 1 thread:")
    for k, v in med.items():
        if k == "  of which exponential":
            print(f"    (the agreement's exponential alone: {v:.2f})")
        else:
            print(f"  {k:22s} {v:6.2f}")
    print(f"  texture in all         {texture:6.2f} ({texture / med['minutiae cylinders']:.2f} "
          f"x the minutiae cylinders' blocks); load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
