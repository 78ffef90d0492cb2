"""``idcapture finger compare|evaluate|dedup``: thin commands over the comparator."""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..i18n import N_
from .progress import progress_for

__all__ = ["register"]

_IMAGE_EXT = {".tif", ".tiff", ".png", ".bmp", ".pgm", ".jpg", ".jpeg", ".wsq"}
_TEMPLATE_EXT = {".ist", ".iso", ".ansi", ".fmr", ".json"}
_INDEX_ABOVE = 2_000


def register(commands: Any) -> None:
    """Add ``finger compare``, ``finger evaluate`` and ``finger dedup``."""
    group = commands.group("finger", help="fingerprint quality and minutiae")
    c = group.add_parser("compare", help="compare two fingerprints (images or templates)")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--ppi", type=int, default=500, help="image resolution (default 500)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_compare)
    e = group.add_parser("evaluate", help="FVC-protocol accuracy over <finger>_<impression> "
                         "images, or over a synthetic set")
    e.add_argument("dir", type=Path, nargs="?", help="folder of images (or templates)")
    e.add_argument("--protocol", choices=("fvc",), default="fvc")
    e.add_argument("--ppi", type=int, default=500)
    e.add_argument("--synthetic", type=int, default=0, metavar="FINGERS",
                   help="evaluate on FINGERS synthetic fingers instead of a folder")
    e.add_argument("--impressions", type=int, default=4, help="synthetic impressions each")
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--jobs", type=int, default=0, help="worker processes (default: all cores)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_evaluate)
    d = group.add_parser("dedup", help="compare every template with every other and report "
                         "groups of records that share a finger")
    d.add_argument("source", type=Path, help="station store folder, or a folder of images / "
                   "templates")
    d.add_argument("--threshold", type=float, default=None,
                   help="score threshold (default: FMR 1e-4 / number of comparisons)")
    d.add_argument("--ppi", type=int, default=500)
    d.add_argument("--jobs", type=int, default=0)
    d.add_argument("--method", choices=("auto", "all-pairs", "index"), default="auto",
                   help="all-pairs compares everything (exact, O(N^2)); index searches each "
                   "template in a 1:N index (O(N), may miss a pair the pre-selection drops); "
                   f"auto uses the index above {_INDEX_ABOVE} templates")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=_dedup)


def _load_template(path: Path, ppi: int) -> Any:
    from ..biometrics.finger import extract
    from ..biometrics.finger.template import FingerTemplate

    ext = path.suffix.lower()
    if ext == ".json":
        import json

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError):
            raise ConfigError(N_("template {name} is not valid JSON").format(name=path.name),
                              "bad-template") from None
        return FingerTemplate.from_json(data)
    if ext in _TEMPLATE_EXT:
        from ..formats.minutiae import MinutiaeRecord

        views = MinutiaeRecord.from_bytes(path.read_bytes()).to_templates()
        if not views:
            raise ConfigError(N_("template {name} holds no finger view").format(
                name=path.name), "bad-template")
        return views[0]
    from ..formats.images import load_image

    return extract(load_image(path, "L"), ppi)


def _files(folder: Path) -> list[Path]:
    """The images and templates in ``folder``.

    A ``.json`` file beside an image of the same stem is that image's ground truth
    (``idcapture finger synth`` writes ``<stem>.png`` and ``<stem>.json``), not a template.
    """
    if not folder.is_dir():
        raise ConfigError(N_("not a folder: {folder}").format(folder=folder), "no-folder")
    found = [p for p in folder.iterdir()
             if p.suffix.lower() in _IMAGE_EXT | _TEMPLATE_EXT and p.is_file()]
    image_stems = {p.stem for p in found if p.suffix.lower() in _IMAGE_EXT}
    return sorted(p for p in found
                  if not (p.suffix.lower() == ".json" and p.stem in image_stems))


def _prepare_file(path: str, ppi: int) -> Any:
    from ..biometrics.finger.compare import prepare

    return prepare(_load_template(Path(path), ppi))


def prepare_all(paths: Sequence[str], ppi: int = 500, jobs: int = 0,
                progress: Any = None) -> list[Any]:
    """Read (extract from images, or parse templates) and prepare every file, in order."""
    from ..biometrics.finger.compare_parallel import map_in_order

    return map_in_order(functools.partial(_prepare_file, ppi=ppi), paths, jobs, progress,
                        chunksize=4, min_parallel=4)


def _compare(args: argparse.Namespace) -> int:
    from ..biometrics.finger.compare import MATCH_THRESHOLD, compare, fmr_at_score
    from . import print_json

    a = _load_template(args.a, args.ppi)
    b = _load_template(args.b, args.ppi)
    s = compare(a, b)
    out = {"score": round(s, 2), "match": s >= MATCH_THRESHOLD,
           "threshold": MATCH_THRESHOLD, "estimated_fmr_at_score": fmr_at_score(s)}
    if args.json:
        print_json(out)
    else:
        print(f"score {s:.1f} ({'match' if out['match'] else 'no match'} at threshold "
              f"{MATCH_THRESHOLD:.0f}; estimated FMR at this score {fmr_at_score(s):.1e})")
    return 0


def _describe(scores: np.ndarray) -> dict[str, float]:
    if len(scores) == 0:
        return {}
    q = np.percentile(scores, [0, 1, 5, 25, 50, 75, 95, 99, 100])
    keys = ("min", "p1", "p5", "p25", "median", "p75", "p95", "p99", "max")
    return {k: round(float(v), 2) for k, v in zip(keys, q, strict=True)}


def _histogram(scores: np.ndarray, bins: np.ndarray) -> list[int]:
    return [int(x) for x in np.histogram(scores, bins=bins)[0]]


def _evaluate(args: argparse.Namespace) -> int:
    from ..biometrics.finger.compare_eval import error_rates, fvc_pairs
    from ..biometrics.finger.compare_parallel import all_pair_scores
    from . import print_json

    t0 = time.perf_counter()
    if args.synthetic > 0:
        from ..synth.fingerprints.evaluation import synthetic_templates

        stems, templates = synthetic_templates(args.synthetic, args.impressions, args.seed,
                                               jobs=args.jobs)
        source = f"synthetic: {args.synthetic} fingers x {args.impressions} impressions " \
                 f"(seed {args.seed}), extracted from generated images"
    else:
        if args.dir is None:
            raise ConfigError(N_("give a folder or --synthetic N"), "no-folder")
        files = _files(args.dir)
        stems = [p.stem for p in files]
        fvc_pairs(stems)  # checks the names before the long part
        with progress_for(args, "extracting", len(files)) as bar:
            templates = prepare_all([str(p) for p in files], args.ppi, jobs=args.jobs,
                                    progress=bar.update)
        source = str(args.dir)
    t1 = time.perf_counter()
    with progress_for(args, "comparing") as bar:
        scores = all_pair_scores(templates, jobs=args.jobs, progress=bar.update)
    t2 = time.perf_counter()
    gen, imp_fvc = fvc_pairs(stems)
    _, imp_all = fvc_pairs(stems, all_impostors=True)
    g = np.array([scores[i, j] for i, j in gen])
    i_fvc = np.array([scores[i, j] for i, j in imp_fvc])
    i_all = np.array([scores[i, j] for i, j in imp_all])
    r_fvc = error_rates(g, i_fvc)
    r_all = error_rates(g, i_all)
    bins = np.arange(0, 105, 5.0)
    out = {
        "source": source, "protocol": "fvc", "templates": len(stems),
        "fvc_protocol": r_fvc.to_json(), "all_impostor_pairs": r_all.to_json(),
        "genuine_scores": _describe(g), "impostor_scores": _describe(i_all),
        "histogram_bins": bins.tolist(), "genuine_histogram": _histogram(g, bins),
        "impostor_histogram": _histogram(i_all, bins),
        "seconds": {"templates": round(t1 - t0, 2), "comparisons": round(t2 - t1, 2)},
    }
    if args.json:
        print_json(out)
        return 0
    print(f"source: {source}; {len(stems)} templates, {len(gen)} genuine pairs")
    for name, r in (("FVC protocol", r_fvc), ("all impostor pairs", r_all)):
        print(f"{name:20s} ({r.impostor:5d} impostor pairs): EER {100 * r.eer:.2f} %  "
              f"FMR100 {100 * r.fmr100:.2f} %  FMR1000 {100 * r.fmr1000:.2f} %  "
              f"ZeroFMR {100 * r.zero_fmr:.2f} %")
    print("score distribution (genuine | impostor, all pairs):")
    for lo, a, b in zip(bins[:-1], out["genuine_histogram"], out["impostor_histogram"],
                        strict=True):
        print(f"  {lo:5.0f}-{lo + 5:<5.0f} {a:6d} | {b:6d}")
    print(f"genuine  {out['genuine_scores']}")
    print(f"impostor {out['impostor_scores']}")
    print(f"time: templates {t1 - t0:.1f} s, comparisons {t2 - t1:.1f} s")
    return 0


def _dedup(args: argparse.Namespace) -> int:
    from ..biometrics.finger.compare import threshold_for_fmr
    from ..biometrics.finger.compare_parallel import all_pair_scores, clusters_with_scores
    from . import print_json

    src: Path = args.source
    labels: list[str]
    from ..station.store import DB_NAME

    if (src / DB_NAME).is_file():
        from ..station.finger_checks import store_templates

        labels, prepared = store_templates(src)
    else:
        files = _files(src)
        if not files:
            raise ConfigError(N_("no finger images, templates or station store in "
                                 "{folder}").format(folder=src), "nothing-to-compare")
        labels = [p.name for p in files]
        with progress_for(args, "extracting", len(files)) as bar:
            prepared = prepare_all([str(p) for p in files], args.ppi, jobs=args.jobs,
                                   progress=bar.update)
    n = len(labels)
    pairs = max(n * (n - 1) // 2, 1)
    thr = args.threshold if args.threshold is not None else \
        max(threshold_for_fmr(1e-4 / pairs), 40.0)
    method = args.method if args.method != "auto" else \
        ("index" if n > _INDEX_ABOVE else "all-pairs")
    if method == "index":
        from ..biometrics.finger.index import FingerIndex

        index = FingerIndex()
        index.add_many(labels, prepared)
        with progress_for(args, "searching") as bar:
            links = index.self_matches(thr, progress=bar.update)
    else:
        with progress_for(args, "comparing") as bar:
            scores = all_pair_scores(prepared, jobs=args.jobs, progress=bar.update)
        ii, jj = np.nonzero(np.triu(scores >= thr, k=1))
        links = [(i, j, float(scores[i, j])) for i, j in zip(ii.tolist(), jj.tolist(),
                                                              strict=True)]
    groups = clusters_with_scores(n, links)
    found: list[dict[str, Any]] = [
        {"members": [labels[i] for i in grp], "max_score": round(best, 2)}
        for grp, best in groups]
    out: dict[str, Any] = {"templates": n, "comparisons": n * (n - 1) // 2,
                           "method": method, "threshold": round(thr, 2), "clusters": found}
    if args.json:
        print_json(out)
    else:
        print(f"{n} templates, {out['comparisons']} pairs ({method}), threshold {thr:.1f}: "
              f"{len(groups)} group(s) sharing a finger")
        for c in found:
            print(f"  score {c['max_score']:.1f}: " + ", ".join(c["members"]))
    return 1 if groups else 0
