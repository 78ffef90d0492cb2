"""Portraits for a synthetic province from a folder of identity-labelled photos.

``identities(folder)`` reads a folder of photos (JPEG or PNG, in any sub-folder) and groups
them by person: a file's identity is its name up to the first ``_`` (``001_03.jpg`` and
``001_08.jpg`` are one person), or, for a name without ``_``, the folder holding it
(``lisa/lisa1.jpg``). :func:`station_portrait` turns a photo into what a station
exports: a 3:4 centre crop at 480x640, JPEG. The photos are read in place; nothing is
copied but the portraits written into the synthetic packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ConfigError

__all__ = ["PORTRAIT_SIZE", "give_portraits", "identities", "station_portrait"]

#: planted kinds whose two records are one person
_ONE_PERSON = ("biometric", "same-id", "face")


class _Person(Protocol):
    portrait: bytes | None

#: width and height of an exported portrait
PORTRAIT_SIZE = (480, 640)
_SUFFIXES = {".jpg", ".jpeg", ".png"}


def identities(folder: str | Path) -> dict[str, list[Path]]:
    """Photos of ``folder`` by identity (sorted), each identity's photos sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"no photo folder {root.name!r}", "bad-province")
    out: dict[str, list[Path]] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in _SUFFIXES or not p.is_file():
            continue
        who = p.stem.split("_", 1)[0] if "_" in p.stem else p.parent.name
        out.setdefault(who, []).append(p)
    if not out:
        raise ConfigError(f"no JPEG or PNG photos in {root.name!r}", "bad-province")
    return out


def station_portrait(photo: Path) -> bytes:
    """A station's exported portrait (480x640 JPEG, quality 90) made from ``photo``."""
    import cv2

    from ..formats.images import encode_jpeg, load_image

    rgb = load_image(photo, "RGB")
    h, w = rgb.shape[:2]
    tw, th = PORTRAIT_SIZE
    if w * th > h * tw:                     # wider than 3:4: cut the sides
        cw, ch = h * tw // th, h
    else:
        cw, ch = w, w * th // tw
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = rgb[y0:y0 + ch, x0:x0 + cw]
    return encode_jpeg(cv2.resize(crop, PORTRAIT_SIZE, interpolation=cv2.INTER_AREA),
                       quality=90)


def give_portraits(folder: str | Path, planted: Sequence[tuple[str, _Person, _Person]],
                   people: Sequence[_Person], seed: int = 1) -> int:
    """Give portraits from ``folder``: each planted (kind, original, duplicate) pair
    first, two photos of one person where the kind says they are one person
    (biometric, same-id, face), two people's photos otherwise; then one photo of each
    person left to the other students, spread over them, while people last. Returns the
    students given a portrait. Each person's photos are used for one pair or one
    student only."""
    ids = identities(folder)
    rng = np.random.default_rng(seed)
    names = sorted(ids)
    order = [names[i] for i in rng.permutation(len(names))]
    multi = [n for n in order if len(ids[n]) >= 2]
    needed = sum(1 for k, _o, _d in planted if k in _ONE_PERSON)
    if needed > len(multi):
        raise ConfigError(f"the photo folder holds {len(multi)} people with two photos or "
                          f"more; the planted duplicates need {needed}", "bad-province")
    pool = multi[needed:] + [n for n in order if len(ids[n]) < 2]
    multi = multi[:needed]
    given = 0
    for kind, orig, dup in planted:
        if kind in _ONE_PERSON:
            photos = ids[multi.pop(0)]
            orig.portrait, dup.portrait = station_portrait(photos[0]), station_portrait(
                photos[1])
        elif len(pool) >= 2:
            orig.portrait = station_portrait(ids[pool.pop(0)][0])
            dup.portrait = station_portrait(ids[pool.pop(0)][0])
        else:
            continue
        given += 2
    rest = [p for p in people if p.portrait is None]
    if rest and pool:
        step = max(1, len(rest) // len(pool))
        for p, name in zip(rest[::step], pool, strict=False):
            p.portrait = station_portrait(ids[name][0])
            given += 1
    return given
