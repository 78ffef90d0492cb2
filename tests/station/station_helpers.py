"""Helpers shared by the station tests (not fixtures: plain functions)."""

from __future__ import annotations

import datetime as _dt
import functools
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from idcapture.formats.images import encode_jpeg
from idcapture.formats.roster import write_roster
from idcapture.record import DocumentKind, IdentityDocument, Sex
from idcapture.station import Store, import_roster, register_students
from idcapture.station.steps import PortraitResult
from idcapture.synth.fingerprints import (
    DEFAULT_SIZE,
    MasterPrint,
    generate_master,
    make_impression,
)


def card_for(row: dict[str, str], **changes: object) -> IdentityDocument:
    """The ID card a roster row's student carries (fields changed by ``changes``)."""
    n = row["id_number"]
    doc = IdentityDocument(
        kind=DocumentKind.RESIDENT_ID, id_number=n, name=row["name"],
        sex=Sex.MALE if row["sex"] == "男" else Sex.FEMALE, ethnicity=row.get("ethnicity"),
        birth_date=_dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14])),
        address="广东省广州市天河区某路1号", issuing_authority="广州市公安局天河分局",
        valid_from=_dt.date(2022, 1, 1), valid_until=_dt.date(2032, 1, 1))
    for k, v in changes.items():
        setattr(doc, k, v)
    return doc


def enrol(store: Store, rows: list[dict[str, str]], tmp: Path, register: bool = True) -> None:
    import_roster(store, write_roster(tmp / "roster.xlsx", rows))
    if register:
        register_students(store)


#: synthetic fingers of the station tests: master seeds FINGER_SEED_BASE + seed at the
#: generator's default size (500 x 400 at 500 ppi, a thumb on a 25 x 20 mm window). Smaller
#: masters are cheaper but not distinct enough: at 400 x 320, masters 80067 and 80203 (and
#: 80199 and 80290) score 100 against each other, at 500 x 400 below 20
FINGER_SEED_BASE = 80_000
FINGER_SIZE = DEFAULT_SIZE
#: environment variable naming a finger bank (.npy) made by :func:`make_finger_bank`
FINGER_BANK_ENV = "IDCAPTURE_TEST_FINGER_BANK"


@functools.lru_cache(maxsize=256)
def _master(seed: int) -> MasterPrint:
    return generate_master(FINGER_SEED_BASE + seed, size=FINGER_SIZE)


def render_finger(seed: int, impression: int = 0) -> np.ndarray:
    """Impression ``impression`` of synthetic finger ``seed`` (no cache)."""
    return np.ascontiguousarray(make_impression(_master(seed), seed=impression).image,
                                dtype=np.uint8)


@functools.lru_cache(maxsize=1)
def _bank() -> dict[tuple[int, int], int]:
    path = os.environ.get(FINGER_BANK_ENV)
    if not path:
        return {}
    keys = np.load(Path(path).with_suffix(".keys.npy"))
    return {(int(s), int(i)): n for n, (s, i) in enumerate(keys)}


def _bank_image(n: int) -> np.ndarray:
    images = np.load(os.environ[FINGER_BANK_ENV], mmap_mode="r")
    return np.array(images[n])


@functools.lru_cache(maxsize=512)
def _finger(seed: int, impression: int) -> np.ndarray:
    n = _bank().get((seed, impression))
    img = render_finger(seed, impression) if n is None else _bank_image(n)
    img.setflags(write=False)
    return img


def finger(seed: int, impression: int = 0) -> np.ndarray:
    """A realistic synthetic thumb print: impression ``impression`` of finger ``seed``.

    Every seed is a different synthetic finger (its own master print from
    :mod:`idcapture.synth.fingerprints`); two impressions of one seed are the same finger
    placed twice (the minutiae comparator matches them, the image hashes differ). Images
    are cached per process, and read from the bank (.npy) named by
    ``IDCAPTURE_TEST_FINGER_BANK`` when set (subprocesses of the fault test).
    """
    return np.array(_finger(int(seed), int(impression)))


def _render_many(keys: list[tuple[int, int]]) -> np.ndarray:
    return np.stack([render_finger(s, i) for s, i in keys])


def make_finger_bank(path: Path, keys: Iterable[tuple[int, int]], jobs: int = 2) -> Path:
    """Render ``(seed, impression)`` prints in ``jobs`` processes into ``path`` (.npy,
    read by memory mapping) and the keys beside it (``.keys.npy``)."""
    todo = list(keys)
    chunks = [c for c in (todo[i::jobs * 4] for i in range(jobs * 4)) if c]
    with ProcessPoolExecutor(jobs) as ex:
        parts = list(ex.map(_render_many, chunks))
    order = [k for c in chunks for k in c]
    np.save(path.with_suffix(".keys.npy"), np.array(order, dtype=np.int64))
    with path.open("wb") as fh:
        np.save(fh, np.concatenate(parts))
    return path


class FixedPortraitMaker:
    """A portrait step that always frames the centre of the frame (for state tests)."""

    def make(self, frame: np.ndarray) -> PortraitResult:
        from idcapture.record import Check, CheckOutcome

        crop = frame[0:64, 0:48]
        return PortraitResult(encode_jpeg(crop[:, :, ::-1]), 48, 64, "test", None, None,
                              Check("face-quality", CheckOutcome.PASSED, "test framing"),
                              image=crop)

    def manual(self, frame: np.ndarray) -> PortraitResult:
        return self.make(frame)


def capture_and_save(store: Store, student: dict[str, str], thumbs: tuple[int, int] = (1, 2)
                     ) -> str:
    """One whole capture of ``student`` (card, a plain frame, two synthetic thumbs),
    saved; returns the record id."""
    from idcapture.station.session import (
        CaptureSession,
        CardPresented,
        FingerPresented,
        FramePresented,
        Save,
    )
    from idcapture.station.steps import Steps

    s = CaptureSession.start(store, "op1", Steps(portrait=FixedPortraitMaker()))
    s.handle(CardPresented(card_for(student)))
    s.handle(FramePresented(np.full((480, 640, 3), 200, np.uint8)))
    for seed in thumbs:
        s.handle(FingerPresented(finger(seed)))
    return str(s.handle(Save()).details["record_id"])
