"""Exam registration: numbers allocated from the configured pattern, inside the window.

A student keeps the registration number first allocated to them: registering again,
or re-importing the roster, never changes it. Numbers count up separately in each
*scope* (the pattern before ``{seq}``, for instance year + region + school), in the
order of the roster (school, class, student-status number, ID number), so that a
school's numbers follow its classes.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..i18n import N_
from ..privacy import mask_id_number
from .config import StationConfig
from .store import Store, today
from .store_rows import NewRegistration

__all__ = ["RegistrationReport", "register_students", "station_config"]

log = logging.getLogger("idcapture.station.registration")


def station_config(store: Store) -> StationConfig:
    """The configuration saved in ``store`` (defaults if it has none)."""
    data = store.setting("config")
    return StationConfig.from_json(data) if data else StationConfig()


@dataclass
class RegistrationReport:
    """Newly registered, already registered (number unchanged), and unknown ID numbers."""

    new: dict[str, str] = field(default_factory=dict)
    existing: dict[str, str] = field(default_factory=dict)
    not_on_roster: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"new": len(self.new), "already_registered": len(self.existing),
                "not_on_roster": [mask_id_number(n) for n in self.not_on_roster]}

    def __repr__(self) -> str:  # ID numbers masked: reprs end up in logs and tracebacks
        def masked(d: dict[str, str]) -> dict[str, str]:
            return {mask_id_number(k): v for k, v in d.items()}

        return (f"RegistrationReport(new={masked(self.new)!r}, "
                f"existing={masked(self.existing)!r}, "
                f"not_on_roster={[mask_id_number(n) for n in self.not_on_roster]!r})")


def register_students(store: Store, id_numbers: Iterable[str] | None = None, *,
                      school_code: str | None = None, operator: str = "",
                      day: _dt.date | None = None) -> RegistrationReport:
    """Register the given students (default: every student on the roster, or of one school).

    Raises :class:`RosterError` (code ``window-closed`` / ``window-not-open``) outside
    the registration window.
    """
    cfg = station_config(store)
    cfg.registration_window.enforce(N_("registration"), day or today())
    pattern = cfg.pattern
    report = RegistrationReport()
    rows = store.registration_candidates(school_code)
    wanted: set[str] | None = None
    if id_numbers is not None:
        wanted = {n.strip().upper() for n in id_numbers}
        on_roster = {r.id_number for r in rows}
        report.not_on_roster = sorted(wanted - on_roster)
    with store.batch():
        seqs = store.registration_sequences()
        new: list[NewRegistration] = []
        for id_number, school, reg in rows:
            if wanted is not None and id_number not in wanted:
                continue
            if reg:
                report.existing[id_number] = reg
                continue
            scope = pattern.scope(year=cfg.year, region=cfg.region, school=school,
                                  station=cfg.station_id)
            seq = seqs.get(scope, 0) + 1
            number = pattern.format(scope, seq)
            seqs[scope] = seq
            new.append(NewRegistration(id_number, number, scope, seq))
            report.new[id_number] = number
        store.add_registrations(new)
        store.audit(operator or "operator", "registered",
                    detail=f"new {len(report.new)}, already registered {len(report.existing)}"
                           f", not on roster {len(report.not_on_roster)}")
    for n in report.not_on_roster:
        log.warning("cannot register %s: not on the roster", mask_id_number(n))
    return report
