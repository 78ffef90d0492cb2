"""The roster-first capture station, as a library that frontends embed.

* :class:`~idcapture.station.store.Store` — the embedded store (SQLite + image files);
* :func:`~idcapture.station.roster.import_roster` — roster import with a row report;
* :func:`~idcapture.station.registration.register_students` — registration numbers;
* :class:`~idcapture.station.session.CaptureSession` — the capture state machine, driven
  by the events of :mod:`~idcapture.station.events`, which
  :mod:`~idcapture.station.pump` makes from what the devices give;
* :func:`~idcapture.station.checking.check_station` — the check report;
* :func:`~idcapture.station.export.export_package` / ``verify_package`` — export.

``idcapture station ...`` runs the same functions headless.
"""

from __future__ import annotations

from .config import DateWindow, RegistrationPattern, StationConfig
from .registration import RegistrationReport, register_students, station_config
from .roster import ImportReport, RosterEntry, RowProblem, import_roster
from .store import Store

__all__ = [
    "DateWindow",
    "ImportReport",
    "RegistrationPattern",
    "RegistrationReport",
    "RosterEntry",
    "RowProblem",
    "StationConfig",
    "Store",
    "import_roster",
    "register_students",
    "station_config",
]
