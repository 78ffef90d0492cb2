"""What hostile inputs cost now that they are refused early, each against a baseline
measured in the same run:

* a 0.6 MB .xlsx roster whose shared strings unpack to 600 MB, against importing an
  ordinary 12-student roster (both timings include creating a fresh store);
* a JPEG whose header claims 20000 x 20000 pixels, against decoding a real 640 x 480 JPEG;
* a web login (GET the page, POST the form) with a wrong token and with the right token,
  for a known and an unknown operator name (the timing must not tell the names apart).

    python benchmarks/bench_hostile_inputs.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import resource
import statistics
import struct
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from idcapture.errors import IdCaptureError
from idcapture.formats.images import load_image
from idcapture.formats.roster import write_roster
from idcapture.station import StationConfig, Store, import_roster, register_students
from idcapture.synth.students import sample_students


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            fn()
        except IdCaptureError:
            pass
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster_bomb(tmp: Path, repeat: int) -> None:
    good = write_roster(tmp / "good.xlsx", sample_students(12, seed=7))
    bomb = tmp / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not info.filename.endswith("sharedStrings.xml"):
                dst.writestr(info, src.read(info))
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     b"<si><t>")
            for _ in range(600):
                fh.write(b"A" * (1 << 20))
            fh.write(b"</t></si></sst>")
    rss = _peak_mb()
    n = 0

    def run(path: Path) -> None:
        nonlocal n
        n += 1
        with Store.create(tmp / f"s{n}", {"config": StationConfig("b", 2025).to_json()}) as st:
            import_roster(st, path)

    base = _ms(lambda: run(good), repeat)
    hostile = _ms(lambda: run(bomb), repeat)
    print(f"roster: 12-student import {base:.1f} ms; {bomb.stat().st_size / 1024:.0f} KB file "
          f"with a 600 MB shared string refused in {hostile:.1f} ms "
          f"(ratio {hostile / base:.2f}); peak RSS {_peak_mb():.0f} MB (before {rss:.0f} MB)")


def image_header(repeat: int) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.full((480, 640, 3), 128, np.uint8)).save(buf, "JPEG")
    real = buf.getvalue()
    claim = bytearray(real)
    sof = claim.index(b"\xff\xc0")
    claim[sof + 5:sof + 9] = struct.pack(">HH", 20000, 20000)
    rss = _peak_mb()
    base = _ms(lambda: load_image(real), repeat)
    hostile = _ms(lambda: load_image(bytes(claim)), repeat)
    print(f"image: 640 x 480 JPEG decoded in {base:.2f} ms; 20000 x 20000 header refused in "
          f"{hostile:.2f} ms (ratio {hostile / base:.2f}); peak RSS {_peak_mb():.0f} MB "
          f"(before {rss:.0f} MB)")


def login_timing(tmp: Path, repeat: int) -> None:
    try:
        from starlette.testclient import TestClient

        from idcapture.web import WebConfig, create_app
        from idcapture.web.security import operator_entry
    except ImportError:
        print("login: skipped (the web extra is not installed)")
        return
    store = tmp / "web"
    with Store.create(store, {"config": StationConfig("b", 2025).to_json()}) as st:
        import_roster(st, write_roster(tmp / "r.xlsx", sample_students(3, seed=1)))
        register_students(st)
        st.set_setting("operators", {"wang": operator_entry("s3cret")})
    from idcapture.web import app as app_module
    from idcapture.web.security import LoginThrottle

    # timing only: a limiter that never refuses (the real one allows 5 failures a minute)
    app_module.LoginThrottle = lambda: LoginThrottle(limit=1 << 30)  # type: ignore[misc]
    app = create_app(WebConfig(store=store, addresses={}, hosts=("testserver",)))
    token = app.state.auth.token
    with TestClient(app, base_url="http://testserver") as client:
        def attempt(tok: str, name: str) -> None:
            page = client.get("/login").text
            pre = re.search(r'name="csrf" value="([^"]+)"', page)
            assert pre is not None
            client.post("/login", data={"csrf": pre.group(1), "token": tok, "operator": name,
                                        "password": "x"}, headers={"Origin": "http://testserver"})

        attempt("bad", "warm-up")
        for label, tok in (("wrong token", "bad"), ("right token", token)):
            res = {name: _ms(lambda t=tok, nm=name: attempt(t, nm), repeat)  # type: ignore[misc]
                   for name in ("wang", "nobody")}
            print(f"login, {label}: known operator {res['wang']:.1f} ms, unknown "
                  f"{res['nobody']:.1f} ms (ratio {res['wang'] / res['nobody']:.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    logging.getLogger("idcapture.web").setLevel(logging.ERROR)  # one "login refused" a try
    with tempfile.TemporaryDirectory() as d:
        roster_bomb(Path(d), args.repeat)
        image_header(args.repeat)
        login_timing(Path(d), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
