"""The roster-first capture station, as a library that frontends embed.

The public surface is what this package exports; everything else lives in its modules
and may change between versions:

* :class:`Store` — the embedded store (SQLite + image files), with
  :class:`StationConfig`;
* :func:`import_roster` — roster import with a row report;
  :func:`register_students` — registration numbers;
* :class:`CaptureSession` — the capture state machine, driven by the events of
  :mod:`idcapture.station.events` (which the pump makes from what the devices give),
  with pluggable :class:`Steps`; :func:`run_capture` with :class:`Devices` and
  :class:`Policy` runs a session headless;
* :func:`check_station` — the check report;
* :func:`export_package` / :func:`verify_package` / :func:`decrypt_package` — export.

``idcapture station ...`` runs the same functions headless.
"""

from __future__ import annotations

from .checking import CheckReport, check_station
from .config import DateWindow, RegistrationPattern, StationConfig
from .events import Prompt, SessionState
from .export import (
    ExportReport,
    PackageError,
    VerifyReport,
    decrypt_package,
    export_package,
    verify_package,
)
from .registration import RegistrationReport, register_students, station_config
from .roster import ImportReport, RosterEntry, RowProblem, import_roster
from .runner import Devices, Policy, run_capture
from .session import CaptureSession
from .steps import Steps
from .store import Store

__all__ = [
    "CaptureSession",
    "CheckReport",
    "DateWindow",
    "Devices",
    "ExportReport",
    "ImportReport",
    "PackageError",
    "Policy",
    "Prompt",
    "RegistrationPattern",
    "RegistrationReport",
    "RosterEntry",
    "RowProblem",
    "SessionState",
    "StationConfig",
    "Steps",
    "Store",
    "VerifyReport",
    "check_station",
    "decrypt_package",
    "export_package",
    "import_roster",
    "register_students",
    "run_capture",
    "station_config",
    "verify_package",
]
