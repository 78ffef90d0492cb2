"""Error-versus-discard characteristic (EDC, ISO/IEC 29794-1): how a quality score
predicts a comparator's errors.

The prints with the lowest quality are discarded, a share at a time; every comparison
that involves a discarded print goes with it, and the false non-match rate (FNMR) of the
genuine comparisons that remain is read at a fixed threshold: the one where the false
match rate of all impostor comparisons, before any discard, is the target (FMR 1e-3 by
default, read as :func:`~.compare_eval.error_rates` reads FMR1000). A quality score that
predicts the comparator's errors makes the FNMR fall fast as prints are discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...errors import ConfigError

__all__ = ["EdcCurve", "edc", "threshold_at_fmr"]


def threshold_at_fmr(impostor: npt.ArrayLike, fmr: float,
                     genuine: npt.ArrayLike = ()) -> float:
    """The lowest score threshold (decision "match" when score >= threshold) whose false
    match rate over ``impostor`` is at most ``fmr``, among the observed scores (impostor
    and ``genuine``) and infinity, as :func:`~.compare_eval.error_rates` reads it."""
    im = np.sort(np.asarray(impostor, dtype=np.float64))
    if im.size == 0:
        raise ConfigError("need at least one impostor score", "no-pairs")
    ths = np.unique(np.concatenate([im, np.asarray(genuine, dtype=np.float64), [np.inf]]))
    above = im.size - np.searchsorted(im, ths, side="left")
    # counts, not rates: 1 of 1,000 is FMR 1e-3 exactly
    return float(ths[np.flatnonzero(above <= fmr * im.size + 1e-9)[0]])


@dataclass(frozen=True)
class EdcCurve:
    """FNMR (0-1) after discarding each share of the lowest-quality prints."""

    fractions: tuple[float, ...]
    fnmr: tuple[float, ...]
    threshold: float
    genuine_left: tuple[int, ...]
    """Genuine comparisons left at each share."""

    def reduction(self, fraction: float) -> float:
        """Relative cut of the FNMR at ``fraction`` against no discard (1 - ratio); 0 when
        there was no error to cut."""
        base = self.fnmr[0]
        at = self.fnmr[self.fractions.index(fraction)]
        return 1.0 - at / base if base > 0 else 0.0


def edc(quality: npt.ArrayLike, genuine: npt.ArrayLike, genuine_scores: npt.ArrayLike,
        impostor_scores: npt.ArrayLike, fractions: Sequence[float] = (0.0, 0.05, 0.1, 0.2),
        fmr: float = 1e-3) -> EdcCurve:
    """The EDC of ``quality`` (one value per print, higher = better).

    ``genuine`` is a ``(pairs, 2)`` array of print indices and ``genuine_scores`` their
    comparison scores; ``impostor_scores`` are every impostor comparison's scores (the
    threshold comes from them before any discard). At each share ``f`` of ``fractions``,
    the ``round(f * prints)`` prints of lowest quality are discarded (ties broken by
    index, lowest first). Raises :class:`~idcapture.errors.ConfigError` for shapes that do
    not fit together or a share outside [0, 1).
    """
    q = np.asarray(quality, dtype=np.float64)
    pairs = np.asarray(genuine, dtype=np.int64)
    g = np.asarray(genuine_scores, dtype=np.float64)
    if q.ndim != 1 or pairs.ndim != 2 or pairs.shape[1:] != (2,) or g.shape != (len(pairs),):
        raise ConfigError("edc needs one quality per print, (pairs, 2) genuine indices and "
                          "one score per genuine pair", "bad-shape")
    if len(pairs) and (pairs.min() < 0 or pairs.max() >= len(q)):
        raise ConfigError("a genuine pair names a print with no quality", "bad-shape")
    if any(not 0.0 <= f < 1.0 for f in fractions):
        raise ConfigError("discarded shares must be in [0, 1)", "bad-fraction")
    t = threshold_at_fmr(impostor_scores, fmr, g)
    order = np.argsort(q, kind="stable")
    fnmr, left = [], []
    for f in fractions:
        keep = np.ones(len(q), dtype=bool)
        keep[order[:round(f * len(q))]] = False
        kept = keep[pairs[:, 0]] & keep[pairs[:, 1]]
        n = int(kept.sum())
        fnmr.append(float(np.mean(g[kept] < t)) if n else 0.0)
        left.append(n)
    return EdcCurve(tuple(float(f) for f in fractions), tuple(fnmr), t, tuple(left))
