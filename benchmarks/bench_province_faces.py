"""The province's face modality: what a face distance means, and what the search costs.

Calibration (needs ../shared/data/faces): every London Set photo (102 people, neutral and
smiling) made into a station portrait (480x640 JPEG, :func:`station_portrait`) and
embedded as ingest does (:func:`portrait_embedding`); genuine pairs are a person's two
photos, impostor pairs every two photos of different people. Prints the distances'
quantiles, the counted FMR at a few distances, normals fitted to all the impostor
distances and to their lower tail, and per group of people a normal fitted to the
impostor pairs within the group (``IMPOSTOR_GROUPS`` in province/faces.py). In-sample:
the constants are fitted on these same pairs.

Search cost: ``near_pairs`` over N random unit embeddings (128 float32), every record a
probe (a full run), against a same-run baseline: the same exact search one probe at a
time (one matrix-vector product per probe), timed on a sample of probes and scaled.

    python benchmarks/bench_province_faces.py [--records 100000] [--no-calibration]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from idcapture.province.faces import (  # the model's own normal helpers
    _normal_cdf,
    _probit,
    face_only_distance,
    face_threshold,
    near_pairs,
    portrait_embedding,
)
from idcapture.province.synthetic_faces import identities, station_portrait

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces" / "frl-london-subset"
#: distance searched for in the timing (the cost hardly depends on it)
FACE_ONLY_DISTANCE = 0.30


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def calibrate() -> None:
    people = {k: v for k, v in identities(FACES).items()
              if k.isdigit() and len(v) == 2}
    t0 = time.perf_counter()
    emb: list[np.ndarray] = []
    who: list[str] = []
    missing = 0
    for person, photos in sorted(people.items()):
        for photo in photos:
            e = portrait_embedding(station_portrait(photo))
            if e is None:
                missing += 1
                continue
            emb.append(np.frombuffer(e, np.float32).astype(np.float64))
            who.append(person)
    dt = time.perf_counter() - t0
    x = np.stack(emb)
    d = np.sqrt(np.maximum(0.0, ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)))
    same = np.array(who)[:, None] == np.array(who)[None, :]
    iu = np.triu_indices(len(x), 1)
    gen, imp = d[iu][same[iu]], d[iu][~same[iu]]
    print(f"portraits: {len(emb)} embedded of {2 * len(people)} ({missing} without a face), "
          f"{1000 * dt / max(1, len(emb) + missing):.0f} ms a portrait (decode, detect, "
          "landmarks, descriptor)")
    print(f"genuine pairs {len(gen)}: min {gen.min():.3f} median {np.median(gen):.3f} "
          f"p95 {np.quantile(gen, 0.95):.3f} max {gen.max():.3f}")
    print(f"impostor pairs {len(imp)}: min {imp.min():.3f} p0.1 {np.quantile(imp, 0.001):.3f}"
          f" p1 {np.quantile(imp, 0.01):.3f} median {np.median(imp):.3f}")
    mu, sd = float(imp.mean()), float(imp.std(ddof=1))
    print(f"impostor normal, all distances: mean {mu:.4f} sd {sd:.4f}")
    # the lower tail: a normal through the empirical quantiles at p = 0.1 % .. 5 %
    ps = np.array([0.001, 0.002, 0.005, 0.01, 0.02, 0.05])
    zs = np.array([_probit(p) for p in ps])
    sd_t, mu_t = np.polyfit(zs, np.quantile(imp, ps), 1)
    print(f"impostor normal, lower tail (quantiles 0.1-5 %): mean {mu_t:.4f} sd {sd_t:.4f}")
    for t in (0.25, 0.30, 0.35, 0.40, 0.44, 0.50, 0.55, 0.60):
        whole = _normal_cdf((t - mu) / sd)
        tail = _normal_cdf((t - mu_t) / sd_t)
        print(f"  distance {t:.2f}: counted FMR {np.mean(imp <= t):.2e} "
              f"({int(np.sum(imp <= t))}/{len(imp)}), modelled {whole:.2e} (all), "
              f"{tail:.2e} (tail); genuine pairs within {np.mean(gen <= t):.1%}")
    print("face-only distance per province size (worst group's normal), and the share of "
          "these genuine pairs within it (in-sample):")
    for n in (1_000, 60_000, 100_000, 1_200_000):
        for budget in (1.0, 100.0):
            t = face_only_distance(n, budget)
            within = f"{np.mean(gen <= t):.1%}" if t >= 0 else "none (beyond the floor)"
            print(f"  {n:>9,} students, {budget:g} false face clusters: face score "
                  f"{face_threshold(n, budget):.1f}, distance {t:.3f}: genuine {within}")
    eth = _ethnicity()
    groups = np.array([eth.get(w, "") for w in who])
    for g in sorted(set(groups)):
        m = (groups[:, None] == g) & (groups[None, :] == g) & ~same
        gi = d[iu][m[iu]]
        if len(gi) >= 10:
            print(f"  {g}: {len(set(np.array(who)[groups == g]))} people, {len(gi)} impostor "
                  f"pairs within the group: min {gi.min():.3f}, p1 {np.quantile(gi, 0.01):.3f}"
                  f", mean {gi.mean():.3f}, sd {gi.std(ddof=1):.3f}")


def _ethnicity() -> dict[str, str]:
    import csv

    with open(FACES / "london_info.csv", encoding="utf-8") as fh:
        return {r["face_id"]: r["face_eth"] for r in csv.DictReader(fh)}


def search_cost(n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, 128)).astype(np.float32)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    g *= 0.8                                    # dlib descriptors' typical length
    rids = np.arange(1, n + 1, dtype=np.int64)
    probes = np.ones(n, bool)
    c0, t0 = _cpu(), time.perf_counter()
    pairs = near_pairs(g, rids, probes, FACE_ONLY_DISTANCE)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    sample = min(n, 500)
    sq = np.einsum("ij,ij->i", g, g)
    c1, t1 = _cpu(), time.perf_counter()
    hits = 0
    for i in range(sample):
        d2 = sq + sq[i] - 2.0 * (g @ g[i])
        hits += int(np.count_nonzero(d2[i + 1:] <= FACE_ONLY_DISTANCE ** 2))
    base_wall = (time.perf_counter() - t1) * n / sample
    base_cpu = (_cpu() - c1) * n / sample
    per = 100_000 / n
    print(f"search, {n:,} embeddings, every one a probe ({n * (n - 1) // 2:.2e} pairs): "
          f"{wall:.1f} s wall, {cpu:.1f} CPU s; {len(pairs)} pairs within "
          f"{FACE_ONLY_DISTANCE}")
    print(f"  per 100,000 embeddings searched against {n:,}: {wall * per:.1f} s wall, "
          f"{cpu * per:.1f} CPU s")
    print(f"  baseline, one probe at a time ({sample} probes scaled to {n:,}): "
          f"{base_wall:.1f} s wall, {base_cpu:.1f} CPU s: blocked is "
          f"{base_wall / max(wall, 1e-9):.1f}x faster (wall), {base_cpu / max(cpu, 1e-9):.1f}x "
          "(CPU)")
    import inspect

    defaults = inspect.signature(near_pairs).parameters
    mb = defaults["block"].default * defaults["gallery_block"].default * 4 / 2**20
    print(f"  memory: embeddings {g.nbytes / 2**20:.0f} MB, one block of distances {mb:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--no-calibration", action="store_true")
    args = ap.parse_args()
    if not args.no_calibration:
        if FACES.is_dir():
            calibrate()
        else:
            print("calibration skipped: ../shared/data/faces not found beside the checkout")
    search_cost(args.records)


if __name__ == "__main__":
    main()
