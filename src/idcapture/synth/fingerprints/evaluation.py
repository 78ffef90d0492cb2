"""Synthetic evaluation sets for the fingerprint comparator.

``synthetic_templates`` renders impressions of synthetic fingers, runs the extractor on
them and prepares the templates, on every core: the input of ``idcapture finger
evaluate --synthetic``.
"""

from __future__ import annotations

from typing import Any

from ...biometrics.finger.compare import PreparedTemplate, prepare
from ...biometrics.finger.compare_parallel import map_in_order
from ...biometrics.finger.extractor import extract
from .impression import make_impression
from .master import generate_master

__all__ = ["synthetic_templates"]


def _synthetic_one(args: tuple[int, int, int]) -> list[tuple[str, PreparedTemplate]]:
    finger, impressions, seed = args
    master = generate_master(seed * 100_003 + finger)
    out = []
    for k in range(impressions):
        imp = make_impression(master, seed=seed * 1_000 + finger * 10 + k)
        out.append((f"{finger + 1}_{k + 1}", prepare(extract(imp.image, imp.ppi))))
    return out


def synthetic_templates(fingers: int, impressions: int, seed: int = 1, jobs: int = 0
                        ) -> tuple[list[str], list[PreparedTemplate]]:
    """``fingers`` synthetic fingers x ``impressions`` images each, extracted and prepared."""
    work: list[Any] = [(f, impressions, seed) for f in range(fingers)]
    res = map_in_order(_synthetic_one, work, jobs)
    stems = [s for r in res for s, _ in r]
    return stems, [t for r in res for _, t in r]
