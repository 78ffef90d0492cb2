"""Helpers shared by the station tests (not fixtures: plain functions)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from idcapture.drivers.sim.fingerprint import ridge_pattern
from idcapture.formats.roster import write_roster
from idcapture.record import DocumentKind, IdentityDocument, Sex
from idcapture.station import Store, import_roster, register_students
from idcapture.station.steps import PortraitResult, encode_jpeg


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


def finger(seed: int) -> np.ndarray:
    """A distinct finger-like image per seed that passes the default quality profile."""
    return ridge_pattern(seed=seed, period=8.0 + (seed % 5) * 0.4)


class FixedPortraitMaker:
    """A portrait step that always frames the centre of the frame (for state tests)."""

    def make(self, frame: np.ndarray) -> PortraitResult:
        from idcapture.record import Check, CheckOutcome

        crop = frame[0:64, 0:48]
        return PortraitResult(encode_jpeg(crop), 48, 64, "test", None, None,
                              Check("face-quality", CheckOutcome.PASSED, "test framing"),
                              image=crop)

    def manual(self, frame: np.ndarray) -> PortraitResult:
        return self.make(frame)
