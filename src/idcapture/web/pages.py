"""What the Today, Check and Export pages show, read from the store through the station API."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

from ..privacy import describe_error, mask_id_number
from ..station import Store
from ..station.checking import check_station, record_problems
from ..station.export import export_package, verify_package
from ..station.registration import station_config

__all__ = ["ExportJob", "check_rows", "reopen_step", "today_rows"]

log = logging.getLogger("idcapture.web.pages")


def reopen_step(check: str) -> str | None:
    """The capture step that a failed check or missing part is fixed by, if any."""
    if check in ("portrait", "face-quality", "face-vs-card"):
        return "portrait"
    for step in ("right-thumb", "left-thumb"):
        if check == step or check.endswith(":" + step):
            return step
    return None


def today_rows(store: Store) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every roster student with registration and capture status, and the counts."""
    out: list[dict[str, Any]] = []
    counts = {"total": 0, "registered": 0, "captured": 0, "todo": 0, "tocorrect": 0}
    for r in store.roster_status():
        counts["total"] += 1
        problems: list[dict[str, Any]] = []
        if not r.registration_number:
            status = "not-registered"
        elif r.body is None:
            status = "to-capture"
            counts["registered"] += 1
            counts["todo"] += 1
        else:
            counts["registered"] += 1
            counts["captured"] += 1
            probs = record_problems(r.body)
            problems = [{"check": p.check, "outcome": p.outcome, "message": p.message,
                         "blocking": p.blocking, "step": reopen_step(p.check)} for p in probs]
            if any(p.blocking for p in probs):
                status = "to-correct"
                counts["tocorrect"] += 1
            elif probs:
                status = "attention"
            else:
                status = "captured"
        out.append({"id_number": mask_id_number(r.id_number), "name": r.name,
                    "sex": r.sex, "class_name": r.class_name,
                    "school_name": r.school_name,
                    "registration_number": r.registration_number,
                    "record_id": r.record_id or "", "status": status,
                    "problems": problems})
    return out, counts


def check_rows(store: Store) -> dict[str, Any]:
    """The check report with, for each problem, the step that reopens it."""
    report = check_station(store)
    d = report.as_dict()
    for line in d["with_problems"]:
        for p in line["problems"]:
            p["step"] = reopen_step(p["check"])
    return d


class ExportJob:
    """One export at a time, in a thread, with its progress for the page."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self.status: dict[str, Any] = {"state": "idle"}

    def start(self, operator: str, force: bool = False) -> dict[str, Any]:
        with self._lock:
            if self.status.get("state") == "running":
                return dict(self.status)
            cfg = station_config(self.store)
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            out = self.store.path / "exports" / f"export-{cfg.station_id}-{stamp}.zip"
            self.status = {"state": "running", "done": 0, "total": self.store.count_records(),
                           "started": time.time()}
        threading.Thread(target=self._run, args=(out, operator, force),
                         name="idcapture-web-export", daemon=True).start()
        return dict(self.status)

    def _progress(self, done: int, total: int) -> None:
        self.status = {**self.status, "done": done, "total": total}

    def _run(self, out: Path, operator: str, force: bool) -> None:
        try:
            report = export_package(self.store, out, force=force, operator=operator,
                                    progress=self._progress)
            with zipfile.ZipFile(out) as zf:
                manifest = json.loads(zf.read("manifest.json"))
            verify = verify_package(out)
            self.status = {**self.status, "state": "done", "done": self.status["total"],
                           "report": report.as_dict(), "manifest": manifest,
                           "location": str(Path("exports") / out.name),
                           "verify": {"ok": verify.ok, "files_checked": verify.files_checked,
                                      "problems": verify.problems},
                           "seconds": round(report.seconds, 2)}
        except Exception as exc:  # reported on the page and logged, masked
            log.error("export failed: %s", describe_error(exc))
            self.status = {**self.status, "state": "failed", "error": describe_error(exc)}
