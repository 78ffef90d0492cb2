"""Verification accuracy on every real fingerprint set, against NIST's Bozorth3 on the same images.

    .venv/bin/python benchmarks/bench_finger_accuracy.py [--sets FVC2002_DB1_B ...] [--jobs 2]
        [--fingers] [--ci 500] [--against DIR]

For each FVC "B" set in ``../shared/data/fingerprints`` (beside the repository; 10 fingers
x 8 impressions, named ``<finger>_<impression>``): extraction of every image at the
resolution its README.txt states (rescaled to 500 ppi by the extractor), all directed
comparisons, then from the symmetric scores:

* EER on the FVC protocol (280 genuine, 45 impostor pairs) and on all impostor pairs
  (2,880), FMR100, FMR1000 and ZeroFMR on all impostor pairs, the highest impostor score;
* the same figures for NIST's MINDTCT + Bozorth3 from the set's ``nist-reference/
  bozorth3.csv`` (read in the same run), and our ratio to them (EER and FMR1000, all
  impostor pairs; the targets are <= 0.5);
* speed: extraction CPU milliseconds per image (median, one image at a time in a worker;
  the 640 x 480 figure is ``bench_finger_extract.py``'s), and prepared comparisons per
  second on one core (CPU time of the all-pairs run, in this process).

With ``--jitter SEED`` every image gets uniform noise of +-0.5 grey level (seeded by SEED
and the file name) before extraction: an invisible change that shows how far these
figures move by chance. Two or three seeds give the spread a change to the extractor must
stand out of before it counts as better or worse (a single run of a set of 80 images is
not precise enough to judge a change of a few tenths of a point by).

Templates are cached under ``build/finger-accuracy/`` keyed by a hash of the extractor's
source files, so reruns that change only the comparator skip extraction (``--no-cache``
forces it). The directed raw similarity matrices are written there too
(``raw-<set>.npz``), the input of ``benchmarks/fit_finger_calibration.py``. Nothing here
is fitted: every figure is measured with the library's fixed parameters and calibration.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import pickle
import re
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from idcapture.biometrics.finger import extract
from idcapture.biometrics.finger.compare import prepare
from idcapture.biometrics.finger.compare_eval import ErrorRates, error_rates, fvc_pairs
from idcapture.biometrics.finger.compare_parallel import (
    all_pair_raw,
    resolve_jobs,
    symmetric_scores,
)
from idcapture.biometrics.finger.template import FingerTemplate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "fingerprints"
BUILD = ROOT / "build" / "finger-accuracy"
FINGER_SRC = ROOT / "src" / "idcapture" / "biometrics" / "finger"
#: modules that do not take part in extraction (their changes keep the template cache)
NOT_EXTRACTION = re.compile(r"^(compare.*|mcc|index.*)\.py$")
PPI = re.compile(r"\b(\d{3})\s*(?:dpi|ppi)\b")


def set_ppi(folder: Path) -> int:
    """The resolution a set's README.txt states (the first ``NNN dpi``/``ppi``), else 500."""
    readme = folder / "README.txt"
    if readme.is_file():
        m = PPI.search(readme.read_text(encoding="utf-8", errors="replace"))
        if m:
            return int(m.group(1))
    return 500


def extractor_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(FINGER_SRC.glob("*.py")):
        if not NOT_EXTRACTION.match(p.name):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def jittered(img: np.ndarray, seed: int, name: str) -> np.ndarray:
    """``img`` plus uniform noise in [-0.5, 0.5) grey level (float32, clipped to 0-255),
    the same for the same ``seed`` and file ``name``."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    noisy = img.astype(np.float32) + rng.uniform(-0.5, 0.5, img.shape).astype(np.float32)
    out: np.ndarray = np.clip(noisy, 0.0, 255.0)
    return out


def _extract_one(args: tuple[str, int, int]) -> tuple[FingerTemplate, float]:
    from idcapture.cli.finger_tools import _load

    path, ppi, jitter = args
    img = _load(Path(path))
    if jitter:
        img = jittered(img, jitter, Path(path).name)
    c0 = time.process_time()
    t = extract(img, ppi)
    return t, (time.process_time() - c0) * 1000.0


def templates_for(folder: Path, ppi: int, jobs: int, use_cache: bool, jitter: int = 0
                  ) -> tuple[list[str], list[FingerTemplate], np.ndarray, list[tuple[int, int]]]:
    """Stems, templates, extraction CPU ms per image and image shapes (cached)."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".tif")
    tag = f"-jitter{jitter}" if jitter else ""
    cache = BUILD / f"templates-{folder.name}-{ppi}-{extractor_hash()}{tag}.pkl"
    if use_cache and cache.is_file():
        with cache.open("rb") as f:
            data = pickle.load(f)
        return data["stems"], data["templates"], data["ms"], data["shapes"]
    work = [(str(p), ppi, jitter) for p in files]
    if resolve_jobs(jobs) == 1:
        res = [_extract_one(w) for w in work]
    else:
        with ProcessPoolExecutor(resolve_jobs(jobs)) as ex:
            res = list(ex.map(_extract_one, work, chunksize=4))
    stems = [p.stem for p in files]
    templates = [t for t, _ in res]
    ms = np.array([m for _, m in res])
    shapes = [(t.height, t.width) for t in templates]
    BUILD.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as f:
        pickle.dump({"stems": stems, "templates": templates, "ms": ms, "shapes": shapes}, f)
    return stems, templates, ms, shapes


def bozorth3(folder: Path) -> tuple[ErrorRates, ErrorRates] | None:
    """Bozorth3's error rates (FVC protocol, all impostor pairs) from nist-reference/."""
    path = folder / "nist-reference" / "bozorth3.csv"
    if not path.is_file():
        return None
    gen, imp_fvc, imp_all = [], [], []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            s = float(row["score"])
            if row["genuine"] == "1":
                gen.append(s)
            else:
                imp_all.append(s)
                if row["fvc_standard"] == "1":
                    imp_fvc.append(s)
    return error_rates(gen, imp_fvc), error_rates(gen, imp_all)


@dataclass
class SetResult:
    name: str
    ppi: int
    ours_fvc: ErrorRates
    ours_all: ErrorRates
    max_impostor: float
    impostors_ge40: int
    impostors_ge50: int
    bz_fvc: ErrorRates | None
    bz_all: ErrorRates | None
    extract_ms: float
    image_size: str
    compares_per_s: float
    #: the same all pairs without the texture cylinders, timed in the same run
    plain_per_s: float

    def ratio(self, what: str) -> float:
        if self.bz_all is None:
            return float("nan")
        ours, theirs = getattr(self.ours_all, what), getattr(self.bz_all, what)
        return ours / theirs if theirs > 0 else float("inf")


def run_set(folder: Path, jobs: int, use_cache: bool, jitter: int = 0,
            fingers: bool = False
            ) -> tuple[SetResult, np.ndarray]:
    ppi = set_ppi(folder)
    stems, templates, ms, shapes = templates_for(folder, ppi, jobs, use_cache, jitter)
    prepared = [prepare(t) for t in templates]
    # comparisons in this process (6,400 per set take well under a second): its CPU time
    # is what one core delivers, whatever else runs on the machine
    c0 = time.process_time()
    raw = all_pair_raw(prepared, jobs=1)
    core_s = time.process_time() - c0
    plain = [replace(p, texture=None, arrays=replace(p.arrays, tex_orient=None,
                                                      tex_valid=None, tex_period=None))
             for p in prepared]
    c0 = time.process_time()
    all_pair_raw(plain, jobs=1)
    plain_s = time.process_time() - c0
    scores = symmetric_scores(raw)
    gen, imp_fvc = fvc_pairs(stems)
    _, imp_all = fvc_pairs(stems, all_impostors=True)
    g = np.array([scores[i, j] for i, j in gen])
    i_all = np.array([scores[i, j] for i, j in imp_all])
    i_fvc = np.array([scores[i, j] for i, j in imp_fvc])
    size = f"{shapes[0][1]}x{shapes[0][0]}"
    bz = bozorth3(folder)
    if fingers:
        print("\n".join([f"  {folder.name}:", *finger_misses(stems, scores)]), file=sys.stderr)
    if not jitter:                                        # the calibration's input
        BUILD.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(BUILD / f"raw-{folder.name}.npz", raw=raw, stems=np.array(stems))
    res = SetResult(folder.name, ppi, error_rates(g, i_fvc), error_rates(g, i_all),
                    float(i_all.max()), int((i_all >= 40).sum()), int((i_all >= 50).sum()),
                    bz[0] if bz else None, bz[1] if bz else None,
                    float(np.median(ms)), size, len(prepared) ** 2 / max(core_s, 1e-9),
                    len(prepared) ** 2 / max(plain_s, 1e-9))
    return res, raw


def finger_bootstrap(stems: list[str], scores: np.ndarray, rounds: int, seed: int = 0,
                     against: np.ndarray | None = None
                     ) -> tuple[tuple[float, float], tuple[float, float]]:
    """5th-95th percentile of EER and of FMR1000 (all impostor pairs, 0-1) when the set's
    fingers are drawn again with replacement ``rounds`` times: how far the figures move
    with which fingers happen to be in a set (the genuine pairs of one finger fail or
    pass together, so fingers, not pairs, are the unit). With ``against`` (the symmetric
    scores of another run on the same images), the range of the *difference* ours minus
    theirs over the same draws: a change is beyond the noise when that range excludes 0."""
    fingers = sorted({s.split("_")[0] for s in stems})
    of = {f: [k for k, s in enumerate(stems) if s.split("_")[0] == f] for f in fingers}
    runs = [scores] if against is None else [scores, against]
    gen = [{f: np.array([m[i, j] for a, i in enumerate(of[f]) for j in of[f][a + 1:]])
            for f in fingers} for m in runs]
    imp = [{(a, b): m[np.ix_(of[fingers[a]], of[fingers[b]])].ravel()
            for a in range(len(fingers)) for b in range(a + 1, len(fingers))} for m in runs]
    rng = np.random.default_rng(seed)
    eers, fmrs = [], []
    for _ in range(rounds):
        pick = rng.integers(0, len(fingers), len(fingers))
        pairs = [(min(p, q), max(p, q)) for n, p in enumerate(pick) for q in pick[n + 1:]
                 if p != q]
        if not pairs:
            continue
        rates = [error_rates(np.concatenate([g[fingers[p]] for p in pick]),
                             np.concatenate([im[k] for k in pairs]))
                 for g, im in zip(gen, imp)]
        eers.append(rates[0].eer - (rates[1].eer if len(rates) > 1 else 0.0))
        fmrs.append(rates[0].fmr1000 - (rates[1].fmr1000 if len(rates) > 1 else 0.0))
    lo, hi = 5, 95
    return ((float(np.percentile(eers, lo)), float(np.percentile(eers, hi))),
            (float(np.percentile(fmrs, lo)), float(np.percentile(fmrs, hi))))


def earlier_scores(folder: Path, name: str, stems: list[str]) -> np.ndarray:
    """Symmetric scores of an earlier run (``raw-<name>.npz`` in ``folder``, as this
    benchmark writes them) on the same images."""
    data = np.load(folder / f"raw-{name}.npz")
    if list(data["stems"]) != stems:
        sys.exit(f"{folder / f'raw-{name}.npz'} holds other images than {name}")
    out: np.ndarray = symmetric_scores(data["raw"])
    return out


def finger_misses(stems: list[str], scores: np.ndarray) -> list[str]:
    """One line per finger with genuine pairs at or under the FMR1000 operating point (the
    score reached by 0.1 % of the set's all-impostor pairs): the finger, how many of its
    pairs miss, and each impression's mean genuine score (which prints pull it down)."""
    gen, _ = fvc_pairs(stems)
    _, imp_all = fvc_pairs(stems, all_impostors=True)
    imp = np.sort([scores[i, j] for i, j in imp_all])[::-1]
    at = float(imp[int(0.001 * len(imp))])
    per_print: dict[str, list[float]] = {}
    misses: dict[str, int] = {}
    for i, j in gen:
        finger = stems[i].split("_")[0]
        misses[finger] = misses.get(finger, 0) + int(scores[i, j] <= at)
        per_print.setdefault(stems[i], []).append(float(scores[i, j]))
        per_print.setdefault(stems[j], []).append(float(scores[i, j]))
    lines = []
    for finger, n in sorted(misses.items(), key=lambda kv: -kv[1]):
        if n == 0:
            continue
        prints = " ".join(f"{stem.split('_', 1)[1]}:{np.mean(v):.0f}"
                          for stem, v in sorted(per_print.items())
                          if stem.split("_")[0] == finger)
        lines.append(f"    finger {finger}: {n} genuine pair{'s' if n > 1 else ''} <= {at:.1f}; "
                     f"mean genuine score "
                     f"per impression {prints}")
    return lines


def _pct(x: float) -> str:
    return f"{100 * x:5.2f}"


def print_table(results: list[SetResult]) -> None:
    print("set            ppi | EER FVC / all (ours)  Bozorth3       | ratio EER | FMR100 "
          "FMR1000 (ours / B3)   ratio | ZeroFMR | max imp  >=40 >=50 | extr ms (image)")
    for r in results:
        bz_f = _pct(r.bz_fvc.eer) if r.bz_fvc else "  -  "
        bz_a = _pct(r.bz_all.eer) if r.bz_all else "  -  "
        bz_1000 = _pct(r.bz_all.fmr1000) if r.bz_all else "  -  "
        print(f"{r.name:14s} {r.ppi:3d} | {_pct(r.ours_fvc.eer)} / {_pct(r.ours_all.eer)} %   "
              f"{bz_f} / {bz_a} % |   {r.ratio('eer'):5.2f}   | {_pct(r.ours_all.fmr100)} "
              f"{_pct(r.ours_all.fmr1000)} / {bz_1000} %  {r.ratio('fmr1000'):5.2f} | "
              f"{_pct(r.ours_all.zero_fmr)}   | {r.max_impostor:6.1f} {r.impostors_ge40:5d} "
              f"{r.impostors_ge50:4d} | {r.extract_ms:5.1f} ({r.image_size})")
    n = len(results)

    def mean(f: object) -> float:
        assert callable(f)
        return float(np.mean([f(r) for r in results]))

    print(f"{'mean':18s} | {_pct(mean(lambda r: r.ours_fvc.eer))} / "
          f"{_pct(mean(lambda r: r.ours_all.eer))} %   "
          f"{_pct(mean(lambda r: r.bz_fvc.eer if r.bz_fvc else np.nan))} / "
          f"{_pct(mean(lambda r: r.bz_all.eer if r.bz_all else np.nan))} % |   "
          f"{mean(lambda r: r.ratio('eer')):5.2f}   | {_pct(mean(lambda r: r.ours_all.fmr100))} "
          f"{_pct(mean(lambda r: r.ours_all.fmr1000))} / "
          f"{_pct(mean(lambda r: r.bz_all.fmr1000 if r.bz_all else np.nan))} %  "
          f"{mean(lambda r: r.ratio('fmr1000')):5.2f} | "
          f"{_pct(mean(lambda r: r.ours_all.zero_fmr))}   | "
          f"{max(r.max_impostor for r in results):6.1f} "
          f"{sum(r.impostors_ge40 for r in results):5d} "
          f"{sum(r.impostors_ge50 for r in results):4d} | "
          f"{mean(lambda r: r.extract_ms):5.1f}")
    worst_eer = max(results, key=lambda r: r.ratio("eer"))
    worst_fmr = max(results, key=lambda r: r.ratio("fmr1000"))
    met = sum(1 for r in results if r.ratio("eer") <= 0.5 and r.ratio("fmr1000") <= 0.5)
    print(f"{n} sets; both ratios <= 0.5 on {met}; worst EER ratio {worst_eer.ratio('eer'):.2f} "
          f"({worst_eer.name}), worst FMR1000 ratio {worst_fmr.ratio('fmr1000'):.2f} "
          f"({worst_fmr.name})")
    print(f"comparisons per second per core (prepared templates, all pairs of each set): "
          f"median {np.median([r.compares_per_s for r in results]):,.0f} with the texture "
          f"cylinders, {np.median([r.plain_per_s for r in results]):,.0f} without them; "
          f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="*", default=None, help="set folder names (default: all)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    ap.add_argument("--no-cache", action="store_true", help="extract again even if cached")
    ap.add_argument("--fingers", action="store_true",
                    help="list the fingers whose genuine pairs miss at FMR 1e-3 (stderr)")
    ap.add_argument("--ci", type=int, default=0, metavar="ROUNDS",
                    help="also print each set's 5-95 %% range over ROUNDS bootstrap draws of "
                         "its fingers")
    ap.add_argument("--against", type=Path, default=None, metavar="DIR",
                    help="with the raw-<set>.npz files of an earlier run (a copy of "
                         "build/finger-accuracy/), print the bootstrap range of the change")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--jitter", type=int, default=0, metavar="SEED",
                    help="add +-0.5 grey-level noise seeded by SEED (> 0) to every image: "
                         "the run-to-run spread of the figures")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no fingerprint sets at {DATA} (expected ../shared beside the repository)")
    folders = sorted(p for p in DATA.iterdir() if p.is_dir() and re.match(r"FVC\d{4}_DB\d_B$",
                                                                         p.name))
    if args.sets:
        folders = [p for p in folders if p.name in set(args.sets)]
    t0 = time.perf_counter()
    rounds = args.ci or 500
    results = []
    spread: list[tuple[str, tuple[float, float], tuple[float, float]]] = []
    for folder in folders:
        r, raw = run_set(folder, args.jobs, not args.no_cache, args.jitter, args.fingers)
        results.append(r)
        if args.ci or args.against:
            stems = sorted(p.stem for p in folder.iterdir() if p.suffix.lower() == ".tif")
            theirs = earlier_scores(args.against, folder.name, stems) if args.against else None
            spread.append((folder.name, *finger_bootstrap(stems, symmetric_scores(raw),
                                                           rounds, against=theirs)))
        print(f"  {folder.name}: EER all {_pct(r.ours_all.eer)} %, FMR1000 "
              f"{_pct(r.ours_all.fmr1000)} % ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr)
    print_table(results)
    if spread:
        what = (f"this run minus the one in {args.against}" if args.against
                else "EER and FMR1000")
        print(f"bootstrap over each set's fingers ({rounds} draws), 5-95 % range of {what} "
              f"(all impostor pairs):")
        for name, (e0, e1), (f0, f1) in spread:
            print(f"  {name:14s} EER {_pct(e0)} - {_pct(e1)} %   FMR1000 {_pct(f0)} - "
                  f"{_pct(f1)} %")
    if args.json:
        args.json.write_text(json.dumps([{
            "set": r.name, "ppi": r.ppi, "fvc_protocol": r.ours_fvc.to_json(),
            "all_impostor_pairs": r.ours_all.to_json(), "max_impostor": r.max_impostor,
            "bozorth3_fvc": r.bz_fvc.to_json() if r.bz_fvc else None,
            "bozorth3_all": r.bz_all.to_json() if r.bz_all else None,
            "extract_ms": r.extract_ms, "image_size": r.image_size,
            "comparisons_per_s_per_core": r.compares_per_s} for r in results], indent=1))


if __name__ == "__main__":
    main()
