"""Accuracy of the portrait-versus-card comparison over identity-labelled photos.

Pure functions over descriptors: the caller turns each photo into a portrait-side and a
card-side descriptor (``idcapture face evaluate`` does it from a folder). Genuine pairs
are one person's portrait against the card made from *another* photo of the same
person; impostor pairs are a portrait against every other person's cards. A card side
without a face counts as a non-match in both (it cannot match anyone) and is reported
as a no-face rate.

People are split into a development part and a held-out part by a hash of their
identity label (:func:`part_of`), so the split is the same on every run and machine
and never puts one person's photos on both sides.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .frames import FaceInputError

__all__ = [
    "PARTS",
    "CardEvaluation",
    "GroupRates",
    "SwapResult",
    "choose_threshold",
    "evaluate_card_protocol",
    "identity_from_name",
    "modelled_group_fmr",
    "part_of",
    "swap_halves",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Which people an evaluation uses.
PARTS = ("all", "dev", "held-out")


def identity_from_name(stem: str) -> str:
    """The identity label of a photo named ``<identity>_<anything>`` (the whole stem if
    it has no underscore; the evaluation command skips such names)."""
    return stem.split("_", 1)[0]


def part_of(identity: str) -> str:
    """``"dev"`` or ``"held-out"``: a fixed half of the people, by a hash of the label."""
    return "dev" if hashlib.sha256(identity.encode()).digest()[0] % 2 == 0 else "held-out"


@dataclass(frozen=True)
class GroupRates:
    """Error rates for one group (genuine pairs of its people; impostor pairs where both
    people belong to it)."""

    attribute: str
    value: str
    people: int
    genuine: int
    impostor: int
    fnmr: float
    fmr: float


@dataclass
class CardEvaluation:
    """Distances of one run (Euclidean between descriptors, smaller = more alike; ``inf``
    where the card side had no face) and the pair masks, so that rates can be read at
    any threshold: overall (:attr:`fnmr`, :attr:`fmr` at :attr:`threshold`) and per group
    (:meth:`groups_at`)."""

    distances: FloatArray
    genuine_mask: BoolArray
    impostor_mask: BoolArray
    threshold: float
    people: int
    photos: int
    card_no_face: int
    portrait_no_face: int
    card_from_prior: int = 0
    group_masks: dict[tuple[str, str], tuple[BoolArray, BoolArray, int]] = field(
        default_factory=dict)

    @property
    def genuine(self) -> FloatArray:
        return self.distances[self.genuine_mask]

    @property
    def impostor(self) -> FloatArray:
        return self.distances[self.impostor_mask]

    def rates_at(self, t: float) -> tuple[float, float]:
        """(FNMR, FMR) at threshold ``t``."""
        g, i = self.genuine, self.impostor
        return (float(np.mean(g >= t)) if g.size else 0.0,
                float(np.mean(i < t)) if i.size else 0.0)

    @property
    def fnmr(self) -> float:
        return self.rates_at(self.threshold)[0]

    @property
    def fmr(self) -> float:
        return self.rates_at(self.threshold)[1]

    def groups_at(self, t: float | None = None) -> list[GroupRates]:
        """Rates per group at ``t`` (default: :attr:`threshold`)."""
        t = self.threshold if t is None else t
        out = []
        for (attr, value), (gm, im, people) in self.group_masks.items():
            g = self.distances[gm]
            i = self.distances[im]
            out.append(GroupRates(attr, value, people, int(g.size), int(i.size),
                                  float(np.mean(g >= t)) if g.size else 0.0,
                                  float(np.mean(i < t)) if i.size else 0.0))
        return out

    def worst_group_fmr(self, t: float | None = None, min_impostor: int = 1
                        ) -> GroupRates | None:
        rated = [g for g in self.groups_at(t) if g.impostor >= min_impostor]
        return max(rated, key=lambda g: g.fmr) if rated else None


def evaluate_card_protocol(portraits: Sequence[FloatArray | None],
                           cards: Sequence[FloatArray | None],
                           identities: Sequence[str], threshold: float, *,
                           card_from_prior: int = 0,
                           groups: Mapping[str, Mapping[str, str]] | None = None
                           ) -> CardEvaluation:
    """Distances of the card protocol for photos ``i`` with portrait-side descriptor
    ``portraits[i]`` and card-side descriptor ``cards[i]`` (None: no face found) of
    person ``identities[i]``.

    ``groups`` maps an identity to its attributes (``{"sex": "female", ...}``); group
    rates then cover the genuine pairs of the group's people and the impostor pairs in
    which both people belong to it (where demographic false matches concentrate). A photo
    whose portrait side has no face is left out (a live capture would be retaken) and
    counted.
    """
    n = len(identities)
    if len(portraits) != n or len(cards) != n:
        raise FaceInputError("portraits, cards and identities must have the same length")
    keep = [i for i in range(n) if portraits[i] is not None]
    dim = next((len(v) for v in (*portraits, *cards) if v is not None), 128)
    p = np.array([portraits[i] for i in keep], dtype=np.float64).reshape(len(keep), dim)
    has_card = np.array([c is not None for c in cards], dtype=bool)
    c = np.array([v if v is not None else np.zeros(dim) for v in cards],
                 dtype=np.float64).reshape(n, dim)
    d = np.linalg.norm(p[:, None, :] - c[None, :, :], axis=2)
    d[:, ~has_card] = np.inf
    row_ids = np.array([identities[i] for i in keep])
    col_ids = np.array(list(identities))
    same = row_ids[:, None] == col_ids[None, :]
    genuine = same & (np.array(keep)[:, None] != np.arange(n)[None, :])
    impostor = ~same
    ev = CardEvaluation(d, genuine, impostor, threshold, len(set(identities)), n,
                        int((~has_card).sum()), n - len(keep), card_from_prior)
    for attr in sorted({a for g in (groups or {}).values() for a in g}):
        assert groups is not None
        row_v = np.array([groups.get(i, {}).get(attr, "") for i in row_ids])
        col_v = np.array([groups.get(i, {}).get(attr, "") for i in col_ids])
        for v in sorted(set(col_v.tolist()) - {""}):
            both = (row_v[:, None] == v) & (col_v[None, :] == v)
            people = len({i for i in identities if groups.get(i, {}).get(attr) == v})
            ev.group_masks[(attr, v)] = (genuine & both, impostor & both, people)
    return ev


def modelled_group_fmr(ev: CardEvaluation, t: float, *, min_people: int = 2
                       ) -> dict[tuple[str, str], float]:
    """Per group of at least ``min_people`` people, the FMR at ``t`` read from a normal
    distribution fitted to the group's within-group impostor distances (mean and sample
    standard deviation): a small group whose impostors sit close together shows a false
    match risk before any of its few pairs is below ``t``."""
    out: dict[tuple[str, str], float] = {}
    for key, (_gm, im, people) in ev.group_masks.items():
        d = ev.distances[im]
        d = d[np.isfinite(d)]
        if people < min_people or d.size < 2:
            continue
        sd = float(d.std(ddof=1))
        if sd <= 0:
            continue
        out[key] = 0.5 * math.erfc((float(d.mean()) - t) / (sd * math.sqrt(2.0)))
    return out


def choose_threshold(ev: CardEvaluation, max_fmr: float, *, min_impostor: int = 100,
                     step: float = 0.005, modelled: bool = True) -> float:
    """The largest threshold (on a ``step`` grid) at which the overall FMR, the FMR of
    every group with at least ``min_impostor`` impostor pairs and, with ``modelled``,
    the :func:`modelled_group_fmr` of every group of two or more people all stay at or
    below ``max_fmr``: the threshold is set by the worst group, not the average, and a
    group too small to count its false matches is judged by its distribution."""
    finite = ev.impostor[np.isfinite(ev.impostor)]
    if finite.size == 0:
        raise FaceInputError("no impostor pairs to choose a threshold from")
    best = 0.0
    for t in np.arange(step, float(finite.max()) + step, step):
        worst = ev.worst_group_fmr(float(t), min_impostor)
        model = modelled_group_fmr(ev, float(t)) if modelled else {}
        if ev.rates_at(float(t))[1] > max_fmr or (worst is not None and worst.fmr > max_fmr) \
                or any(v > max_fmr for v in model.values()):
            break
        best = float(t)
    return round(best, 4)


@dataclass(frozen=True)
class SwapResult:
    """The threshold rule run on one half of the people and read on the other."""

    chosen_on: str
    reported_on: str
    threshold: float
    fnmr: float
    fmr: float
    genuine: int
    impostor: int
    worst_group: GroupRates | None


def swap_halves(portraits: Sequence[FloatArray | None], cards: Sequence[FloatArray | None],
                identities: Sequence[str], max_fmr: float, *,
                groups: Mapping[str, Mapping[str, str]] | None = None,
                modelled: bool = True) -> list[SwapResult]:
    """Two-fold check of the rule on a small sample: :func:`choose_threshold` on the
    ``dev`` people read on the ``held-out`` people, and the other way round. It shows
    how far a threshold chosen on one half of the people moves the other half's rates;
    the shipped threshold still comes from the dev half alone."""
    halves = {part: [k for k, i in enumerate(identities) if part_of(i) == part]
              for part in PARTS[1:]}
    evs = {part: evaluate_card_protocol([portraits[k] for k in idx], [cards[k] for k in idx],
                                        [identities[k] for k in idx], 0.0, groups=groups)
           for part, idx in halves.items()
           if len({identities[k] for k in idx}) >= 2}
    out = []
    for a, b in (("dev", "held-out"), ("held-out", "dev")):
        if a not in evs or b not in evs:
            continue
        t = choose_threshold(evs[a], max_fmr, modelled=modelled)
        fnmr, fmr = evs[b].rates_at(t)
        out.append(SwapResult(a, b, t, fnmr, fmr, int(evs[b].genuine.size),
                              int(evs[b].impostor.size), evs[b].worst_group_fmr(t)))
    return out
