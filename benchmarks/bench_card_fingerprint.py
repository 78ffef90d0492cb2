"""The card-holder fingerprint check (人证指纹比对) through the simulated vendor ABIs.

    python benchmarks/bench_card_fingerprint.py [--fingers 200] [--impostors 5]
        [--frame-ms 150] [--threshold 0.40]

Needs the compiled simulators (``./run.sh setup``: build/native/libID_FprCap.so and
libID_Fpr.so). For each of N synthetic fingers (master seeds 5000+, held out from the
fingers the comparator was calibrated on), the card template is ``FP_FeatureExtract`` of
impression 0 through the ``idfpr`` driver; impression 1 is put on the ``livescan``
scanner simulator, and the check runs as a station does: ``capture()`` (polling the
scanner, each frame taking ``--frame-ms`` as a real scanner's do), then
``FP_FeatureExtract`` of the live image and ``FP_FeatureMatch`` against the card record.
Printed:

* false rejections (genuine similarity below the threshold) out of N, and false
  acceptances out of N x ``--impostors`` pairs (each live template against other
  fingers' card records), at the threshold and at the thresholds applications use;
* the time from the thumb on the glass to the decision (median, 95th percentile, max;
  target <= 1 s), and its parts;
* the baseline, measured in the same run: the same decisions with idcapture's extractor
  and comparator called directly (no ABI, no scanner), and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger import compare, extract
from idcapture.devices.base import DeviceKind
from idcapture.drivers.livescan.driver import LiveScanSensor
from idcapture.plugins import get_registry
from idcapture.sim.finger.sources import SyntheticSource, fit_to_sensor
from idcapture.sim.livescan import LiveScanSimulator

BUILD = Path(__file__).resolve().parents[1] / "build" / "native"
APP_THRESHOLDS = (0.20, 0.30, 0.40, 0.43, 0.60)


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fingers", type=int, default=200)
    ap.add_argument("--impostors", type=int, default=5)
    ap.add_argument("--frame-ms", type=int, default=150)
    ap.add_argument("--threshold", type=float, default=0.40)
    args = ap.parse_args()
    cap_lib, fpr_lib = BUILD / "libID_FprCap.so", BUILD / "libID_Fpr.so"
    if not (cap_lib.is_file() and fpr_lib.is_file()):
        raise SystemExit("the simulators are not built: run ./run.sh setup")

    n = args.fingers
    t0 = time.perf_counter()
    cards_img, lives_img = [], []
    for i in range(n):
        seed = 5000 + i
        cards_img.append(fit_to_sensor(SyntheticSource(seed).impression(0), 256, 360))
        lives_img.append(fit_to_sensor(SyntheticSource(seed, first=1).impression(0), 256, 360))
    print(f"{n} synthetic fingers, 2 impressions each: generated in "
          f"{time.perf_counter() - t0:.0f} s")

    sim = LiveScanSimulator(cap_lib)
    sim.reset()
    sim.set_frame_delay(args.frame_ms)
    os.environ["IDCAPTURE_IDFPR_LIB"] = str(fpr_lib)
    alg = get_registry().open("idfpr:", DeviceKind.FINGER_ALGORITHM)
    sensor = LiveScanSensor(f"livescan:0?lib={cap_lib}&poll=0")
    sensor.open()
    try:
        cards = [alg.extract(img, 11) for img in cards_img]  # type: ignore[attr-defined]
        genuine: list[float] = []
        lives: list[bytes] = []
        total, t_cap, t_ext, t_match = [], [], [], []
        for i in range(n):
            sim.push_image(lives_img[i])
            t0 = time.perf_counter()
            img = sensor.capture(timeout=10).image
            t1 = time.perf_counter()
            live = alg.extract(img, 11)  # type: ignore[attr-defined]
            t2 = time.perf_counter()
            genuine.append(alg.match(live, cards[i]))  # type: ignore[attr-defined]
            t3 = time.perf_counter()
            lives.append(live)
            total.append(t3 - t0)
            t_cap.append(t1 - t0)
            t_ext.append(t2 - t1)
            t_match.append(t3 - t2)
        rng = np.random.default_rng(7)
        impostor: list[float] = []
        for i in range(n):
            others = rng.choice([j for j in range(n) if j != i], size=args.impostors,
                                replace=False)
            impostor += [alg.match(lives[i], cards[int(j)]) for j in others]  # type: ignore[attr-defined]
    finally:
        sensor.close()
        alg.close()

    # baseline: the same genuine decisions without the ABI or the scanner
    base_t = []
    card_t = [compare.prepare(extract(img)) for img in cards_img]
    base_genuine = []
    for i in range(n):
        t0 = time.perf_counter()
        base_genuine.append(compare.compare(card_t[i], extract(lives_img[i])) / 100)
        base_t.append(time.perf_counter() - t0)

    th = args.threshold
    frr = sum(s < th for s in genuine)
    far = sum(s >= th for s in impostor)
    print(f"\nthreshold {th:.2f} (the simulator's similarity = calibrated score / 100)")
    print(f"  false rejections  {frr} / {n} ({100 * frr / n:.1f} %), one impression each")
    print(f"  false acceptances {far} / {len(impostor)} ({100 * far / len(impostor):.2f} %)")
    print(f"  genuine similarity: median {statistics.median(genuine):.2f}, lowest "
          f"{min(genuine):.2f}; impostor: median {statistics.median(impostor):.2f}, highest "
          f"{max(impostor):.2f}")
    print("  at the thresholds applications use:")
    for t in APP_THRESHOLDS:
        print(f"    {t:.2f}: FRR {sum(s < t for s in genuine)} / {n}, "
              f"FAR {sum(s >= t for s in impostor)} / {len(impostor)}")
    print(f"\nthumb on the glass -> decision ({args.frame_ms} ms frames), N={n}:")
    print(f"  median {1000 * statistics.median(total):.0f} ms, p95 {1000 * _pct(total, 95):.0f}"
          f" ms, max {1000 * max(total):.0f} ms (target <= 1000 ms)")
    print(f"  parts (median): capture {1000 * statistics.median(t_cap):.0f} ms, extraction "
          f"{1000 * statistics.median(t_ext):.0f} ms, match "
          f"{1000 * statistics.median(t_match):.1f} ms")
    ext_match = [e + m for e, m in zip(t_ext, t_match)]
    print(f"baseline (extract + compare in Python, no ABI): median "
          f"{1000 * statistics.median(base_t):.0f} ms; through the ABI "
          f"{1000 * statistics.median(ext_match):.0f} ms, ratio "
          f"{statistics.median(ext_match) / statistics.median(base_t):.2f}x")
    same = sum(abs(a - b) < 0.02 for a, b in zip(genuine, base_genuine))
    print(f"  decisions through the ABI equal the direct ones: "
          f"{sum((a >= th) == (b >= th) for a, b in zip(genuine, base_genuine))} / {n} "
          f"(similarity within 0.02: {same} / {n}; templates are quantised to 4 bytes per "
          "minutia)")


if __name__ == "__main__":
    main()
