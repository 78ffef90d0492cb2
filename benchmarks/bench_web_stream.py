"""End-to-end latency and frame rate of the web frontend's live preview.

Starts ``idcapture station serve --sim --sim-control`` on a fresh sample store with a
640x480 simulated camera at 30 fps, opens the capture page in headless Chromium (Debian's
``/usr/bin/chromium`` driven by Playwright), starts a session and places a card so that
the portrait step runs the face analysis and the overlay (the simulated student sits
too far away, so the guidance keeps running for the whole measurement), and reads the page's own
statistics: for every frame drawn on the canvas, the time from the server reading that
frame from the camera to the browser having drawn it (same machine, same clock), and
the frames drawn per second.

Baseline in the same run: a plain Python WebSocket client on the same stream (no
browser decoding or drawing), so the browser's share of the latency shows as a ratio.

Targets: median latency <= 100 ms, >= 15 fps at 640x480.

    .venv/bin/python benchmarks/bench_web_stream.py [--seconds 10] [--photo FACE.jpg]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _store(folder: Path) -> list[dict[str, str]]:
    from idcapture.formats.roster import write_roster
    from idcapture.station import StationConfig, Store, import_roster, register_students
    from idcapture.synth.students import sample_students

    rows = sample_students(3, seed=5)
    cfg = StationConfig(station_id="bench", year=_dt.date.today().year, region="440106")
    with Store.create(folder / "store", {"config": cfg.to_json()}) as st:
        import_roster(st, write_roster(folder / "roster.xlsx", rows))
        register_students(st)
    return rows


def _post(base: str, token: str, path: str, body: dict[str, object]) -> None:
    req = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


async def _raw_client(base: str, cookie: str, seconds: float) -> tuple[list[float], float]:
    import websockets

    from idcapture.web.live import unpack_frame

    uri = base.replace("http://", "ws://") + "/ws/preview"
    lat: list[float] = []
    t0 = time.time()
    n = 0
    async with websockets.connect(uri, additional_headers={"Cookie": cookie,
                                                           "Origin": base}) as ws:
        while time.time() - t0 < seconds:
            msg = await ws.recv()
            meta, _jpeg = unpack_frame(msg if isinstance(msg, bytes) else msg.encode())
            lat.append(time.time() * 1000 - meta["t"])
            n += 1
    return lat, n / (time.time() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--photo", help="a face photo for the simulated camera (default: the "
                    "shared test photos when present, else the drawn face)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (./run.sh setup installs it)")
        return 1
    photo = args.photo
    if photo is None:
        shared = sorted((ROOT.parent / "shared" / "data" / "faces" / "frl-london-subset" /
                         "neutral_front").glob("*.jpg"))
        photo = str(shared[0]) if shared else None
    # "too-far" keeps the portrait step guiding, so the face analysis runs all along
    camera = "sim:camera?fps=30&width=640&height=480" + (
        f"&photo={photo}&scene=too-far" if photo else "")
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    rows = _store(tmp)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "idcapture", "station", "serve", "--store",
                             str(tmp / "store"), "--port", str(port), "--sim", "--sim-control",
                             "--camera", camera], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        token = ""
        while not token:
            line = proc.stdout.readline()
            if not line:
                print("server failed to start")
                return 1
            if line.startswith("access token:"):
                token = line.split(":", 1)[1].strip()
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                tempfile.mkdtemp(prefix="bench-chromium-"), executable_path=chromium,
                headless=True, viewport={"width": 1366, "height": 768},
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync"])
            page = ctx.new_page()
            page.goto(base + "/login")
            page.fill("#token", token)
            page.click("#login-submit")
            page.wait_for_url("**/today")
            page.goto(base + "/capture")
            page.wait_for_selector("#btn-start", state="visible")
            page.click("#btn-start")
            page.wait_for_selector('body[data-state="card"]')
            r = rows[0]
            _post(base, token, "/api/sim/card", {"document": {
                "id_number": r["id_number"], "name": r["name"], "sex": r["sex"]}})
            page.wait_for_selector('body[data-state="portrait"], '
                                   'body[data-state="right-thumb"]', timeout=30_000)
            state = page.evaluate("document.body.dataset.state")
            page.wait_for_function("window.__idcStats.frames > 10", timeout=30_000)
            page.evaluate("window.__idcStats.latencies.length = 0")
            f0 = page.evaluate("window.__idcStats.frames")
            t0 = time.time()
            time.sleep(args.seconds)
            f1 = page.evaluate("window.__idcStats.frames")
            elapsed = time.time() - t0
            lat = page.evaluate("window.__idcStats.latencies.slice()")
            end_state = page.evaluate("document.body.dataset.state")
            overlay = page.evaluate("window.__idcStats.last.state")
            cookie = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies())
            ctx.close()
        raw_lat, raw_fps = asyncio.run(_raw_client(base, cookie, min(args.seconds, 5.0)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    fps = (f1 - f0) / elapsed
    med = statistics.median(lat)
    raw_med = statistics.median(raw_lat)
    print(f"camera: 640x480 at 30 fps ({'face photo' if photo else 'drawn face'}); "
          f"page state at start/end of the measurement: {state}/{end_state}, overlay "
          f"{overlay} (the face analysis runs while the state is portrait)")
    print(f"browser: {len(lat)} frames in {elapsed:.1f} s: {fps:.1f} fps "
          f"(target >= 15): {'OK' if fps >= 15 else 'MISSED'}")
    print(f"browser latency camera->canvas: median {med:.1f} ms, p90 {_pct(lat, 0.9):.1f} ms, "
          f"max {max(lat):.1f} ms (target median <= 100 ms): "
          f"{'OK' if med <= 100 else 'MISSED'}")
    print(f"baseline, Python WebSocket client: {raw_fps:.1f} fps, median {raw_med:.1f} ms, "
          f"p90 {_pct(raw_lat, 0.9):.1f} ms")
    print(f"ratio browser/baseline median latency: {med / max(raw_med, 0.1):.2f}x")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
