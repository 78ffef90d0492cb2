"""Verification metrics and the FVC test protocol (pure functions over scores).

* :func:`fvc_pairs`: the genuine and impostor pairs of a set named ``<finger>_<impression>``:
  genuine = every pair of impressions of one finger; impostor = the FVC protocol (first
  impression of each finger against the first of every other) or all pairs of
  different fingers (``all_impostors=True``).
* :func:`error_rates`: EER, FMR100, FMR1000, ZeroFMR from genuine and impostor scores
  (higher = more similar), computed as FVC does (the EER interval of the FVC reports;
  FNMR at the lowest threshold whose FMR is at most the target).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...errors import ConfigError

__all__ = ["ErrorRates", "error_rates", "fvc_pairs", "parse_fvc_name"]

_NAME = re.compile(r"^(?P<finger>[^_/\\]+)_(?P<impression>\d+)$")


def parse_fvc_name(stem: str) -> tuple[str, int]:
    """``"101_3"`` -> ``("101", 3)``; :class:`ConfigError` for other names."""
    m = _NAME.match(stem)
    if m is None:
        raise ConfigError(f"file name {stem!r} is not <finger>_<impression>", "bad-name")
    return m.group("finger"), int(m.group("impression"))


def fvc_pairs(stems: list[str], all_impostors: bool = False
              ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Genuine and impostor index pairs ``(i, j)``, ``i < j``, over ``stems``."""
    keys = [parse_fvc_name(s) for s in stems]
    genuine: list[tuple[int, int]] = []
    impostor: list[tuple[int, int]] = []
    first: dict[str, int] = {}
    for i, (f, imp) in enumerate(keys):
        if f not in first or imp < keys[first[f]][1]:
            first[f] = i
    firsts = set(first.values())
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if keys[i][0] == keys[j][0]:
                genuine.append((i, j))
            elif all_impostors or (i in firsts and j in firsts):
                impostor.append((i, j))
    return genuine, impostor


@dataclass(frozen=True)
class ErrorRates:
    """Error rates in 0-1 and the thresholds where they were read."""

    eer: float
    eer_threshold: float
    fmr100: float
    fmr1000: float
    zero_fmr: float
    genuine: int
    impostor: int

    def to_json(self) -> dict[str, float | int]:
        return {"eer": self.eer, "eer_threshold": self.eer_threshold, "fmr100": self.fmr100,
                "fmr1000": self.fmr1000, "zero_fmr": self.zero_fmr,
                "genuine_pairs": self.genuine, "impostor_pairs": self.impostor}


def error_rates(genuine: npt.ArrayLike, impostor: npt.ArrayLike) -> ErrorRates:
    """EER and FNMR at FMR 1 %, 0.1 % and 0 for two score samples."""
    g = np.sort(np.asarray(genuine, dtype=np.float64))
    im = np.sort(np.asarray(impostor, dtype=np.float64))
    if len(g) == 0 or len(im) == 0:
        raise ConfigError("need at least one genuine and one impostor score", "no-pairs")
    ths = np.unique(np.concatenate([g, im, [np.inf]]))
    # decision "match" when score >= t
    fmr = 1.0 - np.searchsorted(im, ths, side="left") / len(im)
    fnmr = np.searchsorted(g, ths, side="left") / len(g)
    # EER as the FVC organisers define it: t1 = highest threshold with FNMR <= FMR, t2 =
    # lowest with FNMR >= FMR; the interval is [FNMR(t1), FMR(t1)] or [FMR(t2), FNMR(t2)],
    # whichever is narrower, and the EER its midpoint (exact for tied, integer scores)
    i1 = int(np.flatnonzero(fnmr <= fmr)[-1])
    i2 = int(np.flatnonzero(fnmr >= fmr)[0])
    if fnmr[i1] + fmr[i1] <= fmr[i2] + fnmr[i2]:
        i, eer = i1, float((fnmr[i1] + fmr[i1]) / 2.0)
    else:
        i, eer = i2, float((fmr[i2] + fnmr[i2]) / 2.0)

    def fnmr_at(target: float) -> float:
        ok = np.flatnonzero(fmr <= target)
        return float(fnmr[ok[0]]) if len(ok) else 1.0

    return ErrorRates(eer, float(ths[i]), fnmr_at(0.01), fnmr_at(0.001), fnmr_at(0.0),
                      len(g), len(im))
