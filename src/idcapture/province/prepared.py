"""A thumb's comparator-ready form, stored once in the registry.

Preparing a template for the comparator (its Minutia Cylinder-Code cylinders,
:func:`idcapture.biometrics.finger.compare.prepare`) costs 2-4 ms of CPU, about ten times
the comparison of a pair. The province's pre-filter keys (:mod:`.features`) are read from
the same cylinders, so both are made from one ``prepare`` per thumb (:func:`thumb_codes`)
and kept in the registry; the search then rebuilds a thumb's prepared template from its
stored form (:func:`unpack`, ~0.3 ms) instead of computing the cylinders again each time
the thumb is a probe or a candidate.

The stored form holds what ``prepare`` computed, exactly: the cylinders' cell bits and
validity (0/1, packed eight to a byte; validity is the same for every direction bin of a
spatial cell, so one bit per spatial cell), their positions, directions, kinds and
minutia indices, and the minutiae the global pairing uses (float32 as computed): about
3.2 kB per thumb at 36 cylinders; then, for a template that carries block maps, its
texture cylinders (:mod:`idcapture.biometrics.finger.texture`: one orientation byte and
one validity bit per cell, a float32 period per cylinder; about 2.3 kB more).
:data:`PREPARED_VERSION` names the layout and the comparator's cylinder and texture
parameters; a registry holding another version has the forms made again.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np

from ..biometrics.finger.compare import (
    MAX_CYLINDERS,
    MAX_MINUTIAE_PAIRED,
    PreparedTemplate,
    prepare,
)
from ..biometrics.finger.compare_core import stack_gallery
from ..biometrics.finger.mcc import DEFAULT_PARAMS, CylinderSet
from ..biometrics.finger.texture import DEFAULT_TEXTURE, from_cells
from ..errors import RecordError
from ..formats import iso19794_2
from .features import cylinder_keys

__all__ = ["PREPARED_VERSION", "pack", "thumb_codes", "unpack"]

_HEAD = struct.Struct("<BHHIHHH")      # layout, cylinders, minutiae, count, w, h, ppi
_LAYOUT = 2
#: the stored forms' layout and the cylinder parameters they were made with
PREPARED_VERSION = f"prep{_LAYOUT}-" + hashlib.sha256(
    f"{DEFAULT_PARAMS!r}|{MAX_CYLINDERS}|{MAX_MINUTIAE_PAIRED}|{DEFAULT_TEXTURE!r}".encode()
).hexdigest()[:12]

_P = DEFAULT_PARAMS
_C2 = _P.ns * _P.ns
_TC = DEFAULT_TEXTURE.cells


def pack(p: PreparedTemplate) -> bytes:
    """The stored form of a prepared template (cylinders made with the default
    parameters)."""
    cs = p.cylinders
    n, m = len(cs), len(p.xy)
    bits = np.packbits(cs.bits.reshape(n, _P.cells) > 0.5, axis=1)
    valid = np.packbits(cs.valid.reshape(n, _C2, _P.nd)[:, :, 0] > 0.5, axis=1)
    return b"".join([
        _HEAD.pack(_LAYOUT, n, m, int(cs.minutiae_count), p.width, p.height,
                   p.resolution_ppi),
        np.ascontiguousarray(cs.xy, "<f4").tobytes(),
        np.ascontiguousarray(cs.angle, "<f4").tobytes(),
        np.ascontiguousarray(cs.index, "<i4").tobytes(),
        np.ascontiguousarray(cs.kind, "i1").tobytes(),
        bits.tobytes(), valid.tobytes(),
        np.ascontiguousarray(p.xy, "<f4").tobytes(),
        np.ascontiguousarray(p.angle, "<f4").tobytes(), _pack_texture(p)])


def _pack_texture(p: PreparedTemplate) -> bytes:
    """A flag byte, then (flag 1) the texture cylinders: orientation steps, validity bits,
    periods."""
    t = p.texture
    if t is None:
        return b"\x00"
    return b"".join([b"\x01", np.ascontiguousarray(t.cells, "u1").tobytes(),
                     np.packbits(t.valid > 0.5, axis=1).tobytes(),
                     np.ascontiguousarray(t.period, "<f4").tobytes()])


def unpack(data: bytes) -> PreparedTemplate:
    """The prepared template of a stored form: the arrays ``prepare`` gave, exactly."""
    if len(data) < _HEAD.size or data[0] != _LAYOUT:
        raise RecordError("not a stored prepared thumb of this layout", "thumbs.prepared")
    _layout, n, m, count, width, height, ppi = _HEAD.unpack_from(data)
    bbytes, vbytes = -(-_P.cells // 8), -(-_C2 // 8)
    sizes = [(n * 2, "<f4"), (n, "<f4"), (n, "<i4"), (n, "i1"), (n * bbytes, "u1"),
             (n * vbytes, "u1"), (m * 2, "<f4"), (m, "<f4")]
    want = _HEAD.size + sum(k * np.dtype(d).itemsize for k, d in sizes) + 1
    tbytes = -(-_TC // 8)
    if len(data) > want and data[want - 1] == 1:
        sizes += [(n * _TC, "u1"), (n * tbytes, "u1"), (n, "<f4")]
        want += n * (_TC + tbytes + 4)
    if len(data) != want:
        raise RecordError(f"stored prepared thumb of {len(data)} bytes, {want} expected",
                          "thumbs.prepared")
    parts, at = [], _HEAD.size
    for i, (k, d) in enumerate(sizes):
        at += i == 8                                   # the texture flag
        parts.append(np.frombuffer(data, d, k, at))
        at += k * np.dtype(d).itemsize
    cxy, cang, index, kind, bits, valid, xy, ang = parts[:8]
    tex = None
    if len(parts) > 8:
        cells, tvalid, period = parts[8:]
        tex = from_cells(cells.reshape(n, _TC),
                         np.unpackbits(tvalid.reshape(n, tbytes), axis=1, count=_TC)
                         .astype(np.float32), period)
    bits = np.unpackbits(bits.reshape(n, bbytes), axis=1, count=_P.cells).astype(np.float32)
    spatial = np.unpackbits(valid.reshape(n, vbytes), axis=1, count=_C2).astype(np.float32)
    cs = CylinderSet(cxy.reshape(n, 2).astype(np.float32), cang.astype(np.float32),
                     kind.astype(np.int8), bits, np.repeat(spatial, _P.nd, axis=1),
                     index.astype(np.int32), count)
    mxy, mang = xy.reshape(m, 2).astype(np.float32), ang.astype(np.float32)
    arrays = stack_gallery([(cs, mxy, mang)], _P, k=max(n, 1), k_all=max(m, 1),
                           textures=[tex])
    return PreparedTemplate(cs, mxy, mang, width, height, ppi, arrays, tex)


def thumb_codes(template: bytes) -> tuple[bytes, bytes]:
    """What the registry keeps of an ISO/IEC 19794-2 thumb template beside it, from one
    ``prepare``: the pre-filter keys (:func:`.features.feature_bytes`' bytes) and the
    stored prepared form."""
    p = prepare(iso19794_2.read(template).to_templates()[0])
    keys = cylinder_keys(p.cylinders.bits[:MAX_CYLINDERS] > 0.5)
    return keys.astype("<u4").tobytes(), pack(p)
