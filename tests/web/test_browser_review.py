"""The province's review pages in headless Chromium: a reviewer logs in with the printed
token and their name, sees the suspected duplicates, opens one and sees both records'
thumbs side by side with the scores, records a decision with a note; the decision is in
the registry's audit log and in the exported workbook. Screenshots go to
build/artifacts/web/review-*.png."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from browser_helpers import ARTIFACTS, free_port, launch_browser
from test_browser import goto

from idcapture.province import Registry, dedup, ingest
from idcapture.province.review import export_decisions
from idcapture.province.synthetic import synth_province
from setup_required import need_file

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (dev extra)")


def _serve(registry: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "idcapture", "province", "review",
                                 "--registry", str(registry), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    end = time.monotonic() + 60
    token = ""
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("review server exited: " + log.read_text()[-500:])
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("access token:"):
                token = line.split(":", 1)[1].strip()
        if token:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                    return proc, token
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("review server did not answer in time")


@contextmanager
def _reviewer_page(registry: Path, tmp_path: Path) -> Iterator[tuple[sync_api.Page, str]]:
    """The review server on a free port and a headless page logged in as a reviewer:
    (page, base URL); the server is stopped afterwards."""
    port = free_port()
    proc, token = _serve(registry, port, tmp_path / "review.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as pw:
            ctx = launch_browser(pw)
            page = ctx.new_page()
            goto(page, base + "/")
            page.wait_for_url("**/login")
            page.fill("#token", token)
            page.fill("#reviewer", "王审核")
            page.click("#login-submit")
            yield page, base
            ctx.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_review_a_cluster_in_the_browser(tmp_path: Path) -> None:
    province = synth_province(tmp_path / "prov", students=12, duplicates=1, stations=2,
                              seed=5)
    reg_dir = tmp_path / "reg"
    with Registry(reg_dir) as reg:
        ingest(reg, province.packages, jobs=1)
        dedup(reg, full=True, false_clusters=0.01, jobs=1)
        [cluster] = reg.clusters()
        members = cluster["members"]
    with _reviewer_page(reg_dir, tmp_path) as (page, base):
        page.wait_for_selector(f'tr[data-cluster="{cluster["cluster"]}"].todo')
        page.screenshot(path=str(ARTIFACTS / "review-list.png"), full_page=True)
        page.click(f'tr[data-cluster="{cluster["cluster"]}"] a')
        page.wait_for_selector("#decision-form")
        # both records' thumbs are shown, decoded by the browser
        for rid in members:
            for kind in ("right_thumb", "left_thumb"):
                sel = f'section[data-record="{rid}"] img.review-{kind}'
                page.wait_for_function(
                    "s => { const i = document.querySelector(s); "
                    "return i && i.complete && i.naturalWidth > 100; }", arg=sel)
        assert page.locator("#evidence tbody tr").count() == 1
        page.screenshot(path=str(ARTIFACTS / "review-cluster.png"), full_page=True)
        page.check('input[name="decision"][value="needs-visit"]')
        page.fill("#note", "请两校核对")
        page.click("#decide")
        page.wait_for_selector("#history li")
        assert "请两校核对" in page.inner_text("#history")
        page.screenshot(path=str(ARTIFACTS / "review-decided.png"), full_page=True)
        goto(page, base + "/")
        page.wait_for_selector(f'tr[data-cluster="{cluster["cluster"]}"].done')
    with Registry(reg_dir) as reg:
        [d] = reg.decision_log()
        assert (list(d.members), d.decision, d.note, d.reviewer) == (
            members, "needs-visit", "请两校核对", "王审核")
        out = tmp_path / "decisions.xlsx"
        assert export_decisions(reg, out) == 2
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["needs-visit", "needs-visit"]


def test_review_shows_the_face_score_beside_the_portraits(tmp_path: Path, shared_data: Path,
                                                          face_extra: None) -> None:
    """With portraits (London Set photos), a face-only cluster and a fingerprint cluster
    both show each portrait with the face score beside it."""
    photos = need_file(shared_data / "faces" / "frl-london-subset",
                       "faces/frl-london-subset is not in the shared data")
    province = synth_province(tmp_path / "prov", students=8, duplicates=1, stations=2,
                              seed=5, faces=photos, face_duplicates=1)
    reg_dir = tmp_path / "reg"
    with Registry(reg_dir) as reg:
        ingest(reg, province.packages, jobs=1, faces=True)
        dedup(reg, full=True, false_clusters=0.01, jobs=1)
        clusters = {tuple(c["kinds"]): c for c in reg.clusters()}
    assert set(clusters) == {("face",), ("biometric", "face")}
    with _reviewer_page(reg_dir, tmp_path) as (page, base):
        only = clusters[("face",)]
        row = f'tr[data-cluster="{only["cluster"]}"]'
        page.wait_for_selector(row)
        assert "仅人脸" in page.inner_text(row)           # "face only"
        assert page.inner_text(f"{row} td.face-score").strip() != "—"
        page.screenshot(path=str(ARTIFACTS / "review-faces-list.png"), full_page=True)
        for name, c in (("face-only", only), ("fingerprints", clusters[("biometric",
                                                                         "face")])):
            goto(page, f"{base}/cluster/{c['cluster']}")
            page.wait_for_selector("#decision-form")
            for rid in c["members"]:
                sel = f'section[data-record="{rid}"] img.review-photo'
                page.wait_for_function(
                    "s => { const i = document.querySelector(s); "
                    "return i && i.complete && i.naturalWidth >= 480; }", arg=sel)
                caption = page.inner_text(f'section[data-record="{rid}"] .face-score')
                assert "人脸分" in caption and "同一张脸" in caption  # score, same face
            assert page.locator("#evidence td.face-score").count() >= 1
            page.screenshot(path=str(ARTIFACTS / f"review-faces-{name}.png"),
                            full_page=True)
