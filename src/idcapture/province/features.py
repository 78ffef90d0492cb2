"""A compact per-thumb code for the province's pre-filter: the thumb's cylinder keys.

Comparing every pair of a province's records with the full comparator is out of reach
(5e9 pairs at 100,000 students), and preparing every template and building a 1:N index
anew for every run costs more than the search itself. The province therefore keeps,
beside each thumb's ISO/IEC 19794-2 template, a short code computed once at ingest:
the set of the thumb's Minutia Cylinder-Code *keys*, the locality-sensitive hashes of
its cylinders that :class:`~idcapture.biometrics.finger.index.FingerIndex` uses for
pre-selection (``tables`` hash functions, each reading ``bits_per_key`` cell bits of a
cylinder). Two impressions of one finger share many keys, as the same minutia's
cylinder agrees on most cell bits; unrelated fingers share few. A key is stored as
``table * 2**bits_per_key + key`` (uint32), one entry per distinct key: ~0.9 k keys,
~3.5 kB per thumb.

A record's code is the union of its two thumbs' keys, the left thumb's moved past the
right thumb's range (:func:`record_tokens`), so the number of keys two records share is
the sum over both thumbs: the pre-filter is fused the way the decision is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..biometrics.finger.compare import prepare
from ..biometrics.finger.index import FingerIndex, pack_template
from ..formats import iso19794_2

__all__ = ["THUMB_KEYS", "feature_bytes", "record_tokens", "thumb_keys"]

U32 = npt.NDArray[np.uint32]

_INDEX: FingerIndex | None = None


def _index() -> FingerIndex:
    global _INDEX
    if _INDEX is None:
        _INDEX = FingerIndex()
    return _INDEX


#: distinct keys of one thumb position (``tables * 2**bits_per_key``)
THUMB_KEYS = _index().params.tables << _index().params.bits_per_key


def thumb_keys(template: bytes) -> U32:
    """The sorted distinct cylinder keys of an ISO/IEC 19794-2 template."""
    idx = _index()
    packed = pack_template(prepare(iso19794_2.read(template).to_templates()[0]), idx.mcc)
    if len(packed.xy) == 0:
        return np.zeros(0, np.uint32)
    keys = idx.keys(packed.cell_bits).astype(np.int64)          # (cylinders, tables)
    tables = np.arange(keys.shape[1], dtype=np.int64) << idx.params.bits_per_key
    tokens = (keys + tables[None, :])[keys > 0]                # key 0: no bit set, unused
    return np.unique(tokens).astype(np.uint32)


def feature_bytes(template: bytes) -> bytes:
    """The stored form (little-endian uint32) of a template's keys."""
    return thumb_keys(template).astype("<u4").tobytes()


def record_tokens(thumbs: list[bytes | None]) -> U32:
    """One record's code from its thumbs' stored keys (thumb ``i`` moved by ``i`` times
    :data:`THUMB_KEYS`; None: thumb missing)."""
    parts = [np.frombuffer(b, "<u4").astype(np.uint32) + np.uint32(i * THUMB_KEYS)
             for i, b in enumerate(thumbs) if b is not None]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint32)
