"""The FP_ algorithm ABI (ID_Fpr) implemented with idcapture's own extractor and comparator.

``native/embed/ID_Fpr.py`` builds ``libID_Fpr.so`` with the cffi embedding API: a real
shared library exporting the ``FP_*`` functions of ``native/include/id_fpr.h`` (cdecl,
undecorated), loaded by the ``idfpr`` driver through the same cffi path as a vendor's
build. Its first call runs :func:`install`, which binds each export to the functions
here, so a simulated template really matches another impression of the same finger and
not another finger. The library must be loaded into a Python process that can import
idcapture (the driver, the tests, the station).

Templates follow the card record layout (:mod:`idcapture.drivers.idfpr.record`); the
feature bytes are this simulator's own (a vendor's are not comparable either): byte 19
the minutiae count N (at most 120), bytes 20-30 ``01 9A 01 00 00 FF FF FF FF FF FF``,
then from byte 31 one big-endian 32-bit word per minutia: x (8 bits), y (9 bits),
direction (8 bits, 1.41 degree steps), bifurcation flag (1 bit), quality (6 bits).

Similarity is the comparator's calibrated score divided by 100 (0.40 ~ an estimated
false-match rate of 1e-4 per comparison; see :mod:`idcapture.biometrics.finger.compare`).

Return codes: 1 success; -1 a NULL pointer, an unknown finger code or a template that
does not start with 0x43 or fails its check byte; -3 FP_Compress / FP_Decompress (not
implemented, with a message in strBuf); -9 any call before FP_Begin, or extraction from
an image without a finger. A record whose enrolment result is not 1 matches with
similarity 0. ``FPSim_InjectNext(name, rc)`` (exported by the simulator only) makes the
next call of ``name`` return ``rc`` (e.g. -2, memory).
"""

from __future__ import annotations

import functools
import math
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from ..drivers.idfpr.record import (
    FINGER_CODES,
    RECORD_SIZE,
    EnrolResult,
    FingerRecord,
    build_record,
)
from ..record import FingerPosition

__all__ = [
    "HEIGHT",
    "IMAGE_SIZE",
    "MAX_MINUTIAE",
    "VERSION",
    "WIDTH",
    "decode_template",
    "encode_template",
    "extract_record",
    "image_quality",
    "install",
    "match_records",
]

WIDTH, HEIGHT = 256, 360
IMAGE_SIZE = WIDTH * HEIGHT
MAX_MINUTIAE = (RECORD_SIZE - 1 - 31) // 4
#: FP_GetVersion: developer code "99" (simulator), version "01"
VERSION = b"9901"
_FIXED = bytes([0x01, 0x9A, 0x01, 0x00, 0x00]) + b"\xff" * 6
_VALID_CODES = set(FINGER_CODES) | {0}

OK, PARAM, MEMORY, NOT_IMPLEMENTED, OTHER = 1, -1, -2, -3, -9

Image = npt.NDArray[np.uint8]


def image_quality(image: Image) -> int:
    """FP_GetQualityScore: 0 when no finger is seen, else 1 (worst) - 100 (best)."""
    from ..biometrics.finger import analyse
    from ..biometrics.finger.quality import score_only

    score = score_only(analyse(image, 500))
    return 0 if score <= 0 else max(1, min(100, score))


def encode_template(template: Any, finger: int, quality: int) -> bytes:
    """A 512-byte record of a :class:`~idcapture.biometrics.finger.FingerTemplate`."""
    mins = sorted(template.minutiae, key=lambda m: -m.quality)[:MAX_MINUTIAE]
    words = []
    for m in mins:
        x = min(max(round(m.x), 0), 255)
        y = min(max(round(m.y), 0), 511)
        a = round(m.angle / (2 * math.pi) * 256) % 256
        bif = 1 if m.kind.value == "bifurcation" else 0
        q = min(max(round(m.quality * 63 / 100), 0), 63)
        words.append((x << 24) | (y << 15) | (a << 7) | (bif << 6) | q)
    body = bytes(12) + bytes([len(words)]) + _FIXED
    body += np.asarray(words, ">u4").tobytes()
    return build_record(finger, EnrolResult.SUCCESS, quality, body)


def decode_template(record: bytes) -> Any:
    """The minutiae template inside a record made by :func:`encode_template`."""
    from ..biometrics.finger import FingerTemplate

    n = min(record[19], MAX_MINUTIAE)
    w = np.frombuffer(record[31:31 + 4 * n], ">u4").astype(np.int64)
    arr = np.zeros((n, 5))
    arr[:, 0] = w >> 24
    arr[:, 1] = (w >> 15) & 0x1FF
    arr[:, 2] = ((w >> 7) & 0xFF) * (2 * math.pi / 256)
    arr[:, 3] = np.where((w >> 6) & 1, 2, 1)
    arr[:, 4] = np.round((w & 0x3F) * 100 / 63)
    return FingerTemplate.from_array(arr, WIDTH, HEIGHT, 500, record[6],
                                     FINGER_CODES.get(record[5], FingerPosition.UNKNOWN))


def extract_record(image: Image, finger: int) -> bytes | None:
    """FP_FeatureExtract: the record, or ``None`` when the image shows no finger."""
    from ..biometrics.finger import extract

    tmpl = extract(image, 500)
    if tmpl.quality <= 0 or len(tmpl) == 0:
        return None
    return encode_template(tmpl, finger, max(1, min(100, tmpl.quality)))


def _valid(record: bytes) -> bool:
    rec = FingerRecord(record)
    return rec.magic_ok and rec.crc_ok


@functools.lru_cache(maxsize=256)
def _prepared(record: bytes) -> Any:
    """A record's comparator form (cylinders), kept for the records matched again (a
    card's templates, a live template matched against both card records)."""
    from ..biometrics.finger import compare

    return compare.prepare(decode_template(record))


def match_records(a: bytes, b: bytes) -> float:
    """FP_FeatureMatch's similarity 0-1 (0 when either record is not an enrolled finger)."""
    from ..biometrics.finger import compare

    if a[4] != EnrolResult.SUCCESS or b[4] != EnrolResult.SUCCESS or not a[19] or not b[19]:
        return 0.0
    return round(float(compare.compare(_prepared(bytes(a)), _prepared(bytes(b)))) / 100.0, 4)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.begun = False
        self.inject: dict[str, int] = {}

    def injected(self, name: str) -> int | None:
        with self.lock:
            return self.inject.pop(name, None)


def install(ffi: Any) -> None:
    """Bind the library's exports (called by its embedded start-up code)."""
    state = _State()

    def image(ptr: Any) -> Image:
        out: Image = np.frombuffer(ffi.buffer(ptr, IMAGE_SIZE), np.uint8).reshape(
            HEIGHT, WIDTH).copy()
        return out

    def record(ptr: Any) -> bytes:
        return bytes(ffi.buffer(ptr, RECORD_SIZE))

    def export(fn: Any) -> Any:
        name = fn.__name__

        def wrapper(*args: Any) -> int:
            rc = state.injected(name)
            if rc is not None:
                return rc
            if name not in ("FP_Begin", "FP_End", "FP_GetVersion") and not state.begun:
                return OTHER
            return int(fn(*args))

        wrapper.__name__ = name
        return ffi.def_extern(name=name, error=OTHER)(wrapper)

    @export
    def FP_GetVersion(code: Any) -> int:
        if code == ffi.NULL:
            return PARAM
        ffi.memmove(code, VERSION, 4)
        return OK

    @export
    def FP_Begin() -> int:
        state.begun = True
        return OK

    @export
    def FP_End() -> int:
        state.begun = False
        return OK

    @export
    def FP_FeatureExtract(scanner: int, finger: int, img: Any, out: Any) -> int:
        if img == ffi.NULL or out == ffi.NULL or finger not in _VALID_CODES:
            return PARAM
        rec = extract_record(image(img), finger)
        if rec is None:
            return OTHER
        ffi.memmove(out, rec, RECORD_SIZE)
        return OK

    def put_similarity(a: bytes, b: bytes, out: Any) -> int:
        if not (_valid(a) and _valid(b)):
            return PARAM
        out[0] = match_records(a, b)
        return OK

    @export
    def FP_FeatureMatch(t1: Any, t2: Any, sim: Any) -> int:
        if ffi.NULL in (t1, t2, sim):
            return PARAM
        return put_similarity(record(t1), record(t2), sim)

    @export
    def FP_ImageMatch(img: Any, tmpl: Any, sim: Any) -> int:
        if ffi.NULL in (img, tmpl, sim):
            return PARAM
        t = record(tmpl)
        if not _valid(t):
            return PARAM
        live = extract_record(image(img), t[5])
        sim[0] = 0.0 if live is None else match_records(live, t)
        return OK

    def not_implemented(msg: Any) -> int:
        if msg != ffi.NULL:
            ffi.memmove(msg, b"image compression is not implemented by the simulator\0", 55)
        return NOT_IMPLEMENTED

    @export
    def FP_Compress(scanner: int, result: int, finger: int, img: Any, ratio: int,
                    out: Any, msg: Any) -> int:
        return not_implemented(msg)

    @export
    def FP_Decompress(data: Any, img: Any, msg: Any) -> int:
        return not_implemented(msg)

    @export
    def FP_GetQualityScore(img: Any, score: Any) -> int:
        if img == ffi.NULL or score == ffi.NULL:
            return PARAM
        score[0] = image_quality(image(img))
        return OK

    def empty(finger: int, result: int, out: Any) -> int:
        if out == ffi.NULL or finger not in _VALID_CODES:
            return PARAM
        ffi.memmove(out, build_record(finger, result, 0), RECORD_SIZE)
        return OK

    @export
    def FP_GenFeatureFromEmpty1(scanner: int, finger: int, out: Any) -> int:
        return empty(finger, EnrolResult.FAILED, out)

    @export
    def FP_GenFeatureFromEmpty2(finger: int, out: Any) -> int:
        return empty(finger, EnrolResult.NOT_ENROLLED, out)

    @ffi.def_extern(name="FPSim_InjectNext", error=PARAM)  # type: ignore[untyped-decorator]
    def _inject(name: Any, rc: int) -> int:
        if name == ffi.NULL:
            return PARAM
        with state.lock:
            state.inject[ffi.string(name).decode("ascii", "replace")] = int(rc)
        return OK

