"""The card-fingerprint check through the page, in headless Chromium: the server runs
with ``--finger-algorithm idfpr:`` on the simulated ID_Fpr library; cards placed through
the simulator endpoint carry fingerprint templates. A student whose card carries their
thumbs passes, one presenting another student's thumb is asked for another impression
and then the operator decides, and a card without fingerprints is not applicable. The
Capture page shows the check, the Check page counts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import Server, free_port
from test_browser import STATE_TIMEOUT, capture_flow, card, face_camera, goto
from web_helpers import make_store

from idcapture.record import CheckOutcome
from idcapture.station import Store
from idcapture.synth.students import sample_students

pytestmark = pytest.mark.slow
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")

#: finger seeds of /api/sim/finger: the card holders' thumbs and another student's
RIGHT, LEFT, OTHER = 21, 22, 23


def test_card_fingerprint_in_the_browser(tmp_path: Path, native_build: Path) -> None:
    lib = native_build / "libID_Fpr.so"
    if not lib.is_file():
        pytest.skip("libID_Fpr.so simulator not built; ./run.sh setup builds it")
    roster = sample_students(4, seed=37)
    store_dir = make_store(tmp_path, roster)
    server = Server(store_dir, free_port(), face_camera(), args=("--finger-algorithm",
                                                                 "idfpr:"),
                    env={"IDCAPTURE_IDFPR_LIB": str(lib)}).start()
    thumbs = [{"finger": 11, "synthetic": RIGHT}, {"finger": 16, "synthetic": LEFT}]
    try:
        with capture_flow(server) as (page, flow):
            # 1. the card holder's own thumbs: passed
            flow.start()
            flow.sim("card", {"document": {**card(roster[0])["document"],
                                           "fingerprints": thumbs}})
            flow.portrait()
            flow.finger(RIGHT, expect="left-thumb")
            page.wait_for_selector("#card-fingerprint:not([hidden])",
                                   timeout=STATE_TIMEOUT)
            assert "通过" in page.inner_text("#card-fingerprint-result")
            flow.finger(LEFT, expect="review")
            flow.shot("cf-01-passed")
            flow.save()

            # 2. another student's thumb: another impression, then the operator
            flow.start()
            flow.sim("card", {"document": {**card(roster[1])["document"],
                                           "fingerprints": thumbs}})
            flow.portrait()
            flow.finger(OTHER)
            page.wait_for_selector("#card-fingerprint:not([hidden])",
                                   timeout=STATE_TIMEOUT)
            assert page.locator('body[data-state="right-thumb"]').count() == 1
            assert "请再按一次" in page.inner_text("#step-message")  # take another impression
            flow.finger(OTHER)
            flow.finger(OTHER)
            page.wait_for_selector("#btn-accept:not([hidden])", timeout=STATE_TIMEOUT)
            assert "请决定接受或拒绝采集" in page.inner_text("#step-message")
            flow.shot("cf-02-decision")
            page.fill("#decision-note", "identity confirmed by the class teacher")
            page.click("#btn-accept")
            flow.state("left-thumb")
            assert "人工确认" in page.inner_text("#card-fingerprint-result")
            flow.finger(LEFT + 10, expect="review")
            flow.save()

            # 3. a card without fingerprints: not applicable
            flow.start()
            flow.sim("card", card(roster[2]))
            flow.portrait()
            flow.finger(31, expect="left-thumb")
            page.wait_for_selector("#card-fingerprint:not([hidden])",
                                   timeout=STATE_TIMEOUT)
            assert "证件中没有指纹" in page.inner_text("#card-fingerprint-result")
            flow.finger(32, expect="review")
            flow.save()

            goto(page, server.base + "/check")
            summary = page.inner_text("#card-fingerprint-summary")
            flow.shot("cf-03-check")
    finally:
        server.stop()
    # the outcomes in the page's language (Chinese by default)
    for k, n in (("通过", 1), ("人工确认", 1), ("不适用", 1)):
        assert f"{k} {n}" in summary, summary
    with Store.open(store_dir) as store:
        outcomes = {}
        for r in store.current_records():
            rec = r.record(store)
            check = rec.check("card-fingerprint")
            assert check is not None
            outcomes[r.id_number] = check
    assert outcomes[roster[0]["id_number"]].outcome is CheckOutcome.PASSED
    over = outcomes[roster[1]["id_number"]]
    assert over.outcome is CheckOutcome.OVERRIDDEN and over.details["attempts"] == 3
    assert over.details["note"] == "identity confirmed by the class teacher"
    assert outcomes[roster[2]["id_number"]].outcome is CheckOutcome.NOT_CHECKED
