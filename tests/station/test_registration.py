"""Registration numbers: pattern, uniqueness, stability, windows."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from idcapture.errors import ConfigError, RosterError
from idcapture.formats.roster import write_roster
from idcapture.station import (
    DateWindow,
    RegistrationPattern,
    StationConfig,
    Store,
    import_roster,
    register_students,
)
from idcapture.synth.students import sample_students


def test_numbers_follow_the_pattern_and_are_unique(store: Store, tmp_path: Path) -> None:
    rows = sample_students(30, seed=3, schools=2)
    import_roster(store, write_roster(tmp_path / "r.xlsx", rows))
    rep = register_students(store)
    assert len(rep.new) == 30
    numbers = list(rep.new.values())
    assert len(set(numbers)) == 30
    for n in numbers:
        assert len(n) == 2 + 6 + 4 + 4 and n.startswith("25440106")
    school2 = sorted(v for k, v in rep.new.items()
                     if any(r["id_number"] == k and r["school_code"].endswith("2") for r in rows))
    assert school2[0].endswith("00020001")


def test_numbers_are_stable_across_reimport_and_reregistration(store: Store,
                                                               tmp_path: Path) -> None:
    rows = sample_students(10, seed=4)
    import_roster(store, write_roster(tmp_path / "r.xlsx", rows))
    first = register_students(store).new
    more = sample_students(14, seed=4)  # the same 10 first, and 4 newcomers
    assert more[:10] == rows
    import_roster(store, write_roster(tmp_path / "r2.xlsx", list(reversed(more))))
    rep = register_students(store)
    assert rep.existing == first
    assert len(rep.new) == 4
    assert set(rep.new.values()).isdisjoint(first.values())
    assert max(first.values()) < min(rep.new.values())


def test_unknown_students_are_reported_masked(store: Store, tmp_path: Path) -> None:
    rows = sample_students(3, seed=5)
    import_roster(store, write_roster(tmp_path / "r.xlsx", rows))
    rep = register_students(store, [rows[0]["id_number"], "110101200001011234"])
    assert list(rep.new) == [rows[0]["id_number"]]
    assert rep.not_on_roster == ["110101200001011234"]
    assert rep.as_dict()["not_on_roster"] == ["110101********1234"]


def test_window_is_enforced_with_a_clear_message(tmp_path: Path) -> None:
    cfg = StationConfig(region="440106", year=2025, registration_window=DateWindow(
        _dt.date(2025, 3, 1), _dt.date(2025, 3, 31)))
    with Store.create(tmp_path / "s", {"config": cfg.to_json()}) as store:
        with pytest.raises(RosterError, match="closed on 2025-03-31") as e:
            register_students(store, day=_dt.date(2025, 4, 2))
        assert e.value.code == "window-closed"
        with pytest.raises(RosterError, match="opens on 2025-03-01"):
            register_students(store, day=_dt.date(2025, 2, 1))
        assert register_students(store, day=_dt.date(2025, 3, 5)).new == {}


def test_pattern_rules() -> None:
    p = RegistrationPattern("{year}{school:3}{seq:2}")
    scope = p.scope(year=2025, region="440106", school="4401060007", station="x")
    assert scope == "2025007"
    assert p.format(scope, 7) == "202500707"
    with pytest.raises(RosterError, match="used up"):
        p.format(scope, 100)
    for bad in ("{seq:4}{year}", "{year}", "{year}{seq}", "{foo}{seq:3}"):
        with pytest.raises(ConfigError):
            RegistrationPattern(bad)
