"""The whole capture of several simulated students through the page, in headless Chromium.

The server runs as a child process (``idcapture station serve --sim --sim-control``) on
a fresh store; Playwright drives Debian's Chromium through the pages while the test
places cards and presents fingers through the test-only simulator endpoints. The run
covers a normal student, a retried fingerprint, a card/roster mismatch accepted by the
operator, a card not on the roster, a server crash and restart mid-capture, an unplugged
sensor, a duplicate thumb reopened from the Check page, the export and the language
switch. Afterwards the store is checked directly. Screenshots of every page go to
``build/artifacts/web/``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, Server, free_port, launch_browser
from web_helpers import make_store

from idcapture.record import CheckOutcome, FingerPosition
from idcapture.station import Store
from idcapture.synth.students import sample_students
from setup_required import missing, need_module

pytestmark = pytest.mark.slow

sync_api = need_module("playwright.sync_api", "playwright is not installed (dev extra)")
if CHROMIUM is None:
    missing("Debian's chromium is not installed (./run.sh setup installs it)")

FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"
STATE_TIMEOUT = 30_000


def card(row: dict[str, str], **changes: str) -> dict[str, Any]:
    doc = {"id_number": row["id_number"], "name": row["name"], "sex": row["sex"],
           "ethnicity": row.get("ethnicity", "汉")}
    doc.update(changes)
    return {"document": doc}


def face_camera() -> str | None:
    """A sim camera showing a real face (auto-capture), when the shared photos are here
    (otherwise ``--sim``'s own camera shows the shipped demo face, which auto-captures too)."""
    photos = sorted((FACES / "frl-london-subset" / "neutral_front").glob("*.jpg"))
    return f"sim:camera?fps=15&photo={photos[0]}" if photos else None


def wait_js(page: Any, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` with page.evaluate (wait_for_function's polling can need eval,
    which the page's content-security policy rightly refuses)."""
    import time

    end = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)


def goto(page: Any, url: str) -> None:
    """``page.goto`` that retries a navigation the browser aborted (a fresh headless
    Chromium occasionally aborts its first navigation while it is still starting up).

    A navigation the page itself replaced before it finished loading (a page that sends
    a signed-out browser to the login page) is not an error: the page went on to where
    it sends the operator, and the caller waits for that URL."""
    for attempt in range(3):
        try:
            page.goto(url)
            return
        except Exception as exc:
            if "interrupted by another navigation" in str(exc):
                page.wait_for_load_state()
                return
            if "ERR_ABORTED" not in str(exc) or attempt == 2:
                raise
            time.sleep(0.5)


class Flow:
    """The page and the server, with the steps an operator and a student take."""

    def __init__(self, page: Any, server: Server, manual_portrait: bool) -> None:
        self.page, self.server, self.manual = page, server, manual_portrait

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def login(self) -> None:
        goto(self.page, self.server.base + "/capture")
        self.page.wait_for_url("**/login")
        self.page.fill("#token", self.server.token)
        self.page.click("#login-submit")
        self.page.wait_for_url("**/today")

    def state(self, *states: str) -> None:
        sel = ", ".join(f'body[data-state="{s}"]' for s in states)
        try:
            self.page.wait_for_selector(sel, timeout=STATE_TIMEOUT)
        except Exception:
            self.shot(f"failed-waiting-for-{states[0]}")
            raise

    def sim(self, what: str, body: dict[str, Any]) -> None:
        status, reply = self.server.api(f"/api/sim/{what}", body)
        assert status == 200, reply

    def start(self) -> None:
        self.page.wait_for_selector("#btn-start", state="visible", timeout=STATE_TIMEOUT)
        self.page.keyboard.press("n")
        self.state("card")

    def portrait(self) -> None:
        # the auto-capture may finish between two polls of the page
        self.state("portrait", "right-thumb")
        if self.manual:
            self.page.click("#btn-manual")
        self.state("right-thumb")

    def finger(self, seed: int, style: str = "good", expect: str | None = None) -> None:
        self.sim("finger", {"seed": seed, "style": style})
        if expect:
            self.state(expect)

    def save(self) -> None:
        self.state("review")
        self.page.keyboard.press("s")
        self.state("saved")


@contextlib.contextmanager
def capture_flow(server: Server, manual_portrait: bool = False) -> Iterator[tuple[Any, Flow]]:
    """A headless browser logged in to ``server`` on its Capture page: (page, flow)."""
    with sync_api.sync_playwright() as pw:
        ctx = launch_browser(pw)
        try:
            page = ctx.new_page()
            flow = Flow(page, server, manual_portrait=manual_portrait)
            flow.login()
            goto(page, server.base + "/capture")
            yield page, flow
        finally:
            ctx.close()


@pytest.fixture
def roster() -> list[dict[str, str]]:
    return sample_students(6, seed=31)


def test_capture_day_in_the_browser(tmp_path: Path, roster: list[dict[str, str]]) -> None:
    store_dir = make_store(tmp_path, roster)
    camera = face_camera()
    server = Server(store_dir, free_port(), camera).start()
    try:
        with sync_api.sync_playwright() as pw:
            ctx = launch_browser(pw)
            try:
                page = ctx.new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                        else None)
                flow = Flow(page, server, manual_portrait=False)
                _run(flow, server, roster, store_dir)
                csp = [e for e in errors if "Content Security Policy" in e]
                assert not csp, csp
            finally:
                ctx.close()
    finally:
        server.stop()
    _check_store(store_dir, roster)
    log = server.log.read_text("utf-8", "replace")
    for r in roster:  # no personal data in the server's output
        assert r["id_number"] not in log and r["name"] not in log


def _run(flow: Flow, server: Server, roster: list[dict[str, str]], store_dir: Path) -> None:
    page = flow.page
    goto(page, server.base + "/login")
    flow.shot("01-login")
    flow.login()
    assert page.inner_text("#count-total") == str(len(roster))
    assert page.inner_text("#count-todo") == str(len(roster))
    page.fill("#search", roster[1]["name"])
    visible = page.locator("#roster tbody tr:visible")
    assert visible.count() >= 1
    assert all(roster[1]["name"] in t for t in visible.all_inner_texts())
    flow.shot("02-today-search")
    page.fill("#search", "")

    # 1. a student whose card agrees with the roster: the live preview, then the whole flow
    goto(page, server.base + "/capture")
    flow.start()
    flow.sim("card", card(roster[0]))
    # the camera's face may be auto-captured before the page is polled
    flow.state("portrait", "right-thumb")
    wait_js(page, "window.__idcStats && window.__idcStats.frames > 5")
    flow.shot("03-capture-portrait-live")
    flow.portrait()
    assert page.get_attribute("#portrait-img", "src")
    flow.finger(1, expect="left-thumb")
    flow.finger(2, expect="review")
    flow.shot("04-capture-review")
    flow.save()

    # 2. a retried fingerprint: a wet impression first, then a good one
    flow.start()
    flow.sim("card", card(roster[1]))
    flow.portrait()
    flow.finger(3, style="wet")
    page.wait_for_selector("#retry:not([hidden])", timeout=STATE_TIMEOUT)
    assert page.locator('body[data-state="right-thumb"]').count() == 1
    flow.shot("05-capture-finger-retry")
    flow.finger(3, expect="left-thumb")
    assert "2" in page.inner_text("#score-right-thumb")
    flow.finger(4, expect="review")
    flow.save()

    # 3. the card spells the name differently: highlighted, the operator accepts
    flow.start()
    other = roster[2]["name"][0] + "小" + roster[2]["name"][1:]
    flow.sim("card", card(roster[2], name=other))
    flow.state("decision")
    assert page.locator('#compare tr.differ[data-field="name"]').count() == 1
    assert "*" in page.inner_text('#compare tr[data-field="id_number"] .card')  # masked
    flow.shot("06-capture-mismatch")
    page.fill("#decision-note", "student confirmed the card spelling")
    page.click("#btn-accept")
    flow.portrait()
    flow.finger(5, expect="left-thumb")
    flow.finger(6, expect="review")
    flow.save()

    # 4. a card that is not on the roster (placed with the page's Simulator panel):
    #    refused, nothing kept
    flow.start()
    page.click("#sim-stranger-card")
    flow.state("refused")
    assert page.inner_text("#sim-status").strip()
    flow.shot("07-capture-not-on-roster")

    # 5. a crash mid-capture: portrait and right thumb taken, then the server dies
    flow.start()
    flow.sim("card", card(roster[3]))
    flow.portrait()
    flow.finger(7, expect="left-thumb")
    portrait_src = page.get_attribute("#portrait-img", "src")
    server.kill()
    server.start()
    flow.login()
    goto(page, server.base + "/capture")
    flow.state("left-thumb")
    assert page.get_attribute("#portrait-img", "src") == portrait_src
    wait_js(page, "document.getElementById('finger-right-thumb').naturalWidth > 0")
    flow.shot("08-capture-resumed-after-restart")
    # ... and the sensor is unplugged before the left thumb
    flow.sim("unplug", {"role": "sensor", "unplugged": True})
    page.wait_for_selector("#device-banner:not([hidden])", timeout=STATE_TIMEOUT)
    flow.shot("09-capture-sensor-unplugged")
    flow.sim("unplug", {"role": "sensor", "unplugged": False})
    page.wait_for_selector('#device-banner[data-devices="ok"]', state="attached",
                           timeout=STATE_TIMEOUT)
    flow.finger(8, expect="review")
    flow.save()

    # 6. a duplicate: this student's right thumb is the same image as student 1's
    flow.start()
    flow.sim("card", card(roster[4]))
    flow.portrait()
    flow.finger(1, expect="left-thumb")
    flow.finger(9, expect="review")
    flow.save()

    # Check page: the duplicate is listed; reopen its right thumb and capture it again
    goto(page, server.base + "/check")
    assert page.locator("#problems tbody tr.st-to-correct").count() == 1
    flow.shot("10-check")
    page.click('#problems button.reopen[data-step="right-thumb"]')
    page.wait_for_url("**/capture")
    flow.state("right-thumb")
    flow.finger(10, expect="review")
    flow.save()
    goto(page, server.base + "/check")
    assert page.locator("#problems tbody tr.st-to-correct").count() == 0

    # Today page after the day: 5 captured, 1 still to capture
    goto(page, server.base + "/today")
    assert page.inner_text("#count-captured") == "5"
    assert page.inner_text("#count-todo") == "1"
    flow.shot("11-today-after")

    # Export with progress, manifest and what was left out
    goto(page, server.base + "/export")
    page.click("#export-build")
    page.wait_for_selector('body[data-export-state="done"]', timeout=60_000)
    assert page.inner_text("#export-exported") == "5"
    assert page.inner_text("#export-verify").startswith("OK")
    assert page.locator("#export-manifest tbody tr").count() >= 5 * 3 + 2
    flow.shot("12-export")

    goto(page, server.base + "/devices")
    page.wait_for_selector("#discovered tbody tr", timeout=STATE_TIMEOUT)
    assert page.inner_text('#station-devices tr[data-role="sensor"] .state') == "open"
    flow.shot("13-devices")

    page.click("#lang-switch")
    page.wait_for_selector('body[data-lang="en"]', state="attached", timeout=STATE_TIMEOUT)
    goto(page, server.base + "/today")
    assert "Today's roster" in page.inner_text("h1")
    flow.shot("14-today-english")


def _check_store(store_dir: Path, roster: list[dict[str, str]]) -> None:
    with Store.open(store_dir) as store:
        assert store.count_records() == 5
        assert store.unfinished_sessions() == []
        recs = {r.id_number: r.record(store, validate=True) for r in store.current_records()}
        assert set(recs) == {r["id_number"] for r in roster[:5]}
        retried = recs[roster[1]["id_number"]].finger(FingerPosition.RIGHT_THUMB)
        assert retried is not None and retried.attempts == 2
        mism = {c.name: c for c in recs[roster[2]["id_number"]].checks}["card-vs-roster"]
        assert mism.outcome is CheckOutcome.OVERRIDDEN and "spelling" in mism.message
        resumed = recs[roster[3]["id_number"]]
        assert resumed.portrait is not None and len(resumed.fingers) == 2
        history = store.record_history(roster[4]["id_number"])
        assert [h.version for h in history] == [1, 2]
        fixed = {c.name: c for c in recs[roster[4]["id_number"]].checks}
        assert fixed["finger-duplicate:right-thumb"].outcome is CheckOutcome.PASSED
        # nothing personal in the audit log
        log = json.dumps([e.__dict__ for e in store.audit_log()], ensure_ascii=False)
        for r in roster:
            assert r["id_number"] not in log
