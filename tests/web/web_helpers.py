"""Helpers shared by the web tests (plain functions, not fixtures)."""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from idcapture.formats.roster import write_roster
from idcapture.station import StationConfig, Store, import_roster, register_students

ORIGIN = "http://testserver"


def login(client: Any, token: str) -> str:
    """Log ``client`` in with ``token``; returns the page's CSRF token."""
    c = client
    page = c.get("/login")
    pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"csrf": pre, "token": token},
               headers={"Origin": ORIGIN}, follow_redirects=False)
    assert r.status_code == 303, r.text
    today = c.get("/today")
    return re.search(r'name="csrf-token" content="([^"]+)"',
                     today.text).group(1)


def make_store(folder: Path, rows: list[dict[str, str]]) -> Path:
    """A store in ``folder`` with ``rows`` imported and registered."""
    cfg = StationConfig(station_id="web-t-1", year=_dt.date.today().year, region="440106")
    with Store.create(folder / "store", {"config": cfg.to_json()}) as store:
        import_roster(store, write_roster(folder / "roster.xlsx", rows))
        register_students(store)
    return folder / "store"
