"""A refused thumb on the Capture page, in headless Chromium: the refused impression is
shown beside the reason, with the region that made it fail (smeared or empty) marked,
and it goes away once a good thumb is taken."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from browser_helpers import Server, free_port
from test_browser import STATE_TIMEOUT, capture_flow, card, face_camera, wait_js
from web_helpers import make_store

from idcapture.synth.students import sample_students
from idcapture.web.overlay import PROBLEM_COLOUR

pytestmark = pytest.mark.slow
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")


def _marked_share(png: bytes) -> float:
    """The share of the picture in the problem colour (blended over the print)."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    b, g, r = (img[:, :, i].astype(int) for i in range(3))
    red = (r - np.maximum(b, g)) > 60
    assert PROBLEM_COLOUR[2] > 200  # the marking is red
    return float(red.mean())


def test_refused_thumb_is_shown_with_its_problem_region(tmp_path: Path) -> None:
    roster = sample_students(2, seed=41)
    server = Server(make_store(tmp_path, roster), free_port(), face_camera()).start()
    try:
        with capture_flow(server) as (page, flow):
            flow.start()
            flow.sim("card", card(roster[0]))
            flow.portrait()
            assert page.is_hidden("#refused")
            flow.finger(31, style="wet")  # the quality gate refuses a wet thumb
            page.wait_for_selector("#refused:not([hidden])", timeout=STATE_TIMEOUT)
            wait_js(page, "document.getElementById('refused-img').naturalWidth > 0")
            assert page.get_attribute("body", "data-state") == "right-thumb"
            reason = page.inner_text("#refused-reason")
            assert reason and reason in page.inner_text("#retry")
            assert "右手拇指" in reason  # the page speaks Chinese by default
            src = page.get_attribute("#refused-img", "src")
            assert src and src.startswith("/api/capture/refused-finger")
            reply = page.request.get(server.base + src)
            assert reply.status == 200 and reply.headers["content-type"] == "image/png"
            assert _marked_share(reply.body()) > 0.02  # the smeared region is marked
            flow.shot("refused-01-wet-thumb")
            # a good thumb: taken, and the refused picture goes away
            flow.finger(32, expect="left-thumb")
            page.wait_for_selector("#refused", state="hidden", timeout=STATE_TIMEOUT)
            assert page.request.get(server.base + src).status == 404
            flow.shot("refused-02-after-a-good-thumb")
    finally:
        server.stop()
