"""Check that extraction gives the same templates before and after a change.

Extracts an even spread of images from every real set in ../shared/data/fingerprints (at
the resolution each set's README.txt states) and one synthetic 640 x 480 print, and writes
one SHA-256 per image of everything the template holds (minutiae as float64 bytes, quality,
block maps), not the minutiae themselves. Run it once on the code before the change with
``--save``, then after it with ``--against``::

    python benchmarks/check_finger_templates.py --save /tmp/templates-before.json
    python benchmarks/check_finger_templates.py --against /tmp/templates-before.json

Exit status 1 when any template differs (each one is listed with its minutiae counts).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from bench_finger_accuracy import DATA, set_ppi

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.template import FingerTemplate


def digest(t: FingerTemplate) -> str:
    """SHA-256 of a template's minutiae, quality, geometry and block maps."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(t.as_array()).tobytes())
    h.update(f"{t.width} {t.height} {t.resolution_ppi} {t.quality} {t.block_size}".encode())
    for m in (t.orientation, t.coherence, t.ridge_period, t.mask):
        if m is not None:
            h.update(np.ascontiguousarray(m).tobytes())
    return h.hexdigest()


def images(per_set: int) -> list[tuple[str, Path, int]]:
    """``(name, path, ppi)`` of ``per_set`` images spread over each real set."""
    out = []
    for folder in sorted(p for p in DATA.glob("FVC*") if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".tif")
        pick = np.linspace(0, len(files) - 1, min(per_set, len(files))).round().astype(int)
        out += [(f"{folder.name}/{files[i].name}", files[i], set_ppi(folder))
                for i in sorted(set(pick.tolist()))]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-set", type=int, default=5, help="images from each real set")
    ap.add_argument("--save", help="write the digests to this JSON file")
    ap.add_argument("--against", help="compare with the digests in this JSON file")
    args = ap.parse_args()
    from idcapture.cli.finger_tools import _load
    from idcapture.synth.fingerprints import generate_master, make_impression

    found: dict[str, tuple[str, int]] = {}
    for name, path, ppi in images(args.per_set):
        t = extract(_load(path), ppi)
        found[name] = (digest(t), len(t.minutiae))
    for seed in (11, 12):
        img = make_impression(generate_master(seed, size=(480, 640)), seed=1).image
        t = extract(img)
        found[f"synthetic-640x480-{seed}"] = (digest(t), len(t.minutiae))
    print(f"{len(found)} templates extracted")
    if args.save:
        Path(args.save).write_text(json.dumps(found, indent=1), encoding="utf-8")
    if args.against:
        before = {k: tuple(v) for k, v in
                  json.loads(Path(args.against).read_text(encoding="utf-8")).items()}
        differ = [k for k in found if k in before and before[k][0] != found[k][0]]
        missing = sorted(set(before) ^ set(found))
        for k in differ:
            print(f"DIFFERS {k}: {before[k][1]} minutiae before, {found[k][1]} now")
        if missing:
            print(f"not in both runs: {', '.join(missing)}")
        same = len(found) - len(differ) - len(missing)
        print(f"identical: {same} of {len(found)}")
        return 1 if differ or missing else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
