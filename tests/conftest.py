"""Shared fixtures for the idcapture test suite."""

from __future__ import annotations

import collections
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from setup_required import CI, missing, need_module

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
NATIVE_BUILD = ROOT / "build" / "native"

# Tests never pick up plugins installed in the environment by accident; the plugin
# tests turn entry points on explicitly.
os.environ.setdefault("IDCAPTURE_NO_ENTRY_POINTS", "1")

#: under CI=true the suite must neither fail for being slow nor pass or
#: fail by luck: property tests run without a per-example deadline (timing belongs in
#: benchmarks/) and with a fixed sequence of examples
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if CI else "dev"))


# --------------------------------------------------------------------------- skips
# Under CI=true the set-up provides every optional piece, so a skip there hides breakage:
# it becomes a failure naming its reason. Every run ends with the count of skips by reason.


def _skip_reason(longrepr: object) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {_skip_reason(report.longrepr)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {_skip_reason(report.longrepr)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    reasons = collections.Counter(_skip_reason(r.longrepr) for r in skipped)
    terminalreporter.write_line(f"skips: {len(skipped)}" + "".join(
        f"\n  {n} x {reason}" for reason, n in reasons.most_common()))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real images in ../shared/data (present in CI; absent in a user's clone)."""
    if not SHARED_DATA.is_dir():
        missing("../shared/data is not beside this checkout (it holds licensed test "
                "images that are not redistributed with the project)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def native_build() -> Path:
    """The folder of C simulators compiled by ./run.sh (make -C native)."""
    if not NATIVE_BUILD.is_dir():
        missing("native simulators are not built; ./run.sh test builds them")
    return NATIVE_BUILD


@pytest.fixture(scope="session")
def face_extra() -> None:
    """dlib and its landmark models (the ``face`` extra), for tests that find faces."""
    need_module("dlib", "the face extra (dlib-bin) is not installed")
    need_module("face_recognition_models",
                "the face extra (face-recognition-models) is not installed")


# --------------------------------------------------------------------------- privacy
# Every test: no ID number, name or address appears unmasked in a log line (or in the
# exception text attached to one) of the idcapture loggers, captured at DEBUG.

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
#: seeds of the made-up rosters the tests, benchmarks and demo use
_ROSTER_SEEDS = (2025, 3, 4, 5, 7, 9, 11, 31, 99)
_HELPER_ADDRESSES = ("广东省广州市天河区某路1号", "广东省广州市天河区示范路1号")


@pytest.fixture(scope="session")
def _personal_test_data() -> tuple[str, ...]:
    """Names and addresses of the made-up people of the sample rosters and sim cards."""
    from idcapture.synth.students import sample_students

    known = set(_HELPER_ADDRESSES)
    for seed in _ROSTER_SEEDS:
        known.update(s["name"] for s in sample_students(40, seed=seed))

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("name", "name_en", "address",
                                               "appended_addresses") and len(node) >= 2:
            known.add(node)

    for card in (ROOT / "src" / "idcapture" / "sim" / "cards").glob("*.json"):
        walk(json.loads(card.read_text("utf-8")))
    return tuple(sorted(known))


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(caplog: pytest.LogCaptureFixture,
                              _personal_test_data: tuple[str, ...]) -> Iterator[None]:
    caplog.set_level(logging.DEBUG, logger="idcapture")
    yield
    fmt = logging.Formatter()
    where = []  # the offending records' logger and line, never their text
    for rec in caplog.get_records("setup") + caplog.get_records("call"):
        text = rec.getMessage()
        if rec.exc_info:
            text += "\n" + fmt.formatException(rec.exc_info)
        if _ID_NUMBER.search(text) or any(k in text for k in _personal_test_data):
            where.append(f"{rec.name}:{rec.lineno}")
    assert not where, f"unmasked ID number, name or address logged at {sorted(set(where))}"
