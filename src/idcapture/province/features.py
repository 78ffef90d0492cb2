"""A compact per-thumb code for the province's pre-filter: hashed cylinder keys.

Comparing every pair of a province's records with the full comparator is out of reach
(5e9 pairs at 100,000 students), and preparing every template and building a 1:N index
anew for every run costs more than the search itself. The province therefore keeps,
beside each thumb's ISO/IEC 19794-2 template, a short code computed once: the set of
the thumb's Minutia Cylinder-Code *keys*, locality-sensitive hashes of its cylinders
(after Cappelli, Ferrara & Maltoni's MCC indexing): :data:`KEY_TABLES` hash functions,
each reading :data:`KEY_BITS` cell bits at fixed random positions in the inner disc of a
cylinder (the cells valid for nearly every minutia). Two impressions of one finger share
many keys, as the same minutia's cylinder agrees on most cell bits; unrelated fingers
share few.

The keys are longer than the 1:N index's (:class:`~idcapture.biometrics.finger.index.
FingerIndex`, 18 bits) so that a key is rare: a province's inverted lists stay short as
it grows, which is what keeps the pre-filter's work per record nearly constant
(measured in ``docs/integrators/province.md``): at 30 bits mates still share ~0.2 of
their keys, unrelated records ~0.01. Each (table, key) is hashed to 32 bits and stored
once per distinct value (little-endian uint32): ~0.8 k keys, ~3 kB per thumb.
:data:`KEYS_VERSION` names the scheme; a registry holding keys of another scheme has
them computed again.

A record's code is the union of its two thumbs' keys, thumb ``i``'s keys moved by
``i * 2**32`` (:func:`record_tokens`), so the number of keys two records share is the sum
over both thumbs: the pre-filter is fused the way the decision is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.compare import MAX_CYLINDERS
from ..biometrics.finger.mcc import DEFAULT_PARAMS, cylinders
from ..biometrics.finger.template import FingerTemplate
from ..formats import iso19794_2

__all__ = ["KEYS_VERSION", "KEY_BITS", "KEY_TABLES", "cylinder_keys", "feature_bytes",
           "keep_keys", "record_tokens", "thumb_keys"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

#: hash functions per cylinder and cell bits each reads
KEY_TABLES = 24
KEY_BITS = 30
#: cells whose centre lies within this radius (pixels at 500 ppi) feed the keys
_INNER_RADIUS = 52.0
#: the scheme of the stored keys (tables, bits, positions' seed, hash)
KEYS_VERSION = f"mcc-{KEY_TABLES}x{KEY_BITS}-s7-h32"


def _positions() -> npt.NDArray[np.intp]:
    """``(KEY_TABLES, KEY_BITS)`` cell-bit positions, fixed (seeded) once and for all."""
    p = DEFAULT_PARAMS
    spatial = p.cells_within(_INNER_RADIUS)
    cells = (spatial[:, None] * p.nd + np.arange(p.nd)[None, :]).ravel()
    rng = np.random.default_rng(7)
    return np.stack([rng.choice(cells, KEY_BITS, replace=False) for _ in range(KEY_TABLES)])


_POS = _positions()
_WEIGHTS = np.uint64(1) << np.arange(KEY_BITS, dtype=np.uint64)
_TABLE_SALT = (np.arange(KEY_TABLES, dtype=np.uint64) + np.uint64(1)) * np.uint64(
    0xC2B2AE3D27D4EB4F)


def _cell_bits(template: FingerTemplate) -> npt.NDArray[np.bool_]:
    """``(cylinders, cells)`` bits of the template's cylinders, the best-quality minutiae's
    first (the ones the comparator keeps)."""
    order = sorted(range(len(template.minutiae)), key=lambda i: -template.minutiae[i].quality)
    best = FingerTemplate(template.width, template.height, template.resolution_ppi,
                          tuple(template.minutiae[i] for i in order), template.quality,
                          template.position)
    return cylinders(best, DEFAULT_PARAMS).bits[:MAX_CYLINDERS] > 0.5


def thumb_keys(template: bytes) -> U32:
    """The sorted distinct hashed cylinder keys of an ISO/IEC 19794-2 template."""
    return cylinder_keys(_cell_bits(iso19794_2.read(template).to_templates()[0]))


def cylinder_keys(bits: npt.NDArray[np.bool_]) -> U32:
    """The sorted distinct hashed keys of ``(cylinders, cells)`` cell bits (the first
    :data:`MAX_CYLINDERS` cylinders of the best-quality minutiae, as ``prepare`` keeps)."""
    if len(bits) == 0:
        return np.zeros(0, np.uint32)
    keys = (bits[:, _POS].astype(np.uint64) * _WEIGHTS).sum(-1)      # (cylinders, tables)
    with np.errstate(over="ignore"):
        h = keys * np.uint64(0x9E3779B97F4A7C15) + _TABLE_SALT[None, :]
        h ^= h >> np.uint64(31)
    # key 0 (no bit set) carries no information
    return np.unique((h[keys > 0] >> np.uint64(32)).astype(np.uint32))


def feature_bytes(template: bytes) -> bytes:
    """The stored form (little-endian uint32) of a template's keys."""
    return thumb_keys(template).astype("<u4").tobytes()


def record_tokens(thumbs: list[bytes | None]) -> U64:
    """One record's code from its thumbs' stored keys (thumb ``i`` moved by ``i * 2**32``;
    None: thumb missing)."""
    parts = [np.frombuffer(b, "<u4").astype(np.uint64) + np.uint64(i << 32)
             for i, b in enumerate(thumbs) if b is not None]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def keep_keys(tokens: list[U64], keep: npt.NDArray[np.bool_],
              flat: U64 | None = None) -> list[U64]:
    """Each code of ``tokens`` cut to its keys where ``keep`` (one flag a key, the codes
    one after another; ``flat``: the codes so concatenated, when at hand), in order."""
    if not tokens:
        return tokens
    if flat is None:
        flat = np.concatenate(tokens)
    cuts = np.cumsum([len(t) for t in tokens])[:-1]
    return np.split(flat[keep], np.concatenate([[0], np.cumsum(keep)])[cuts])
