"""Running the frontend as a real server process and Debian's Chromium through Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "artifacts" / "web"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``idcapture station serve`` in a child process, with its printed token."""

    def __init__(self, store: Path, port: int, camera: str | None = None,
                 sim_control: bool = True, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.store, self.port, self.camera, self.sim_control = store, port, camera, sim_control
        self.args, self.env = args, dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = store.parent / f"server-{port}.log"
        self.token = ""
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 60.0) -> Server:
        cmd = [sys.executable, "-m", "idcapture", "station", "serve", "--store",
               str(self.store), "--port", str(self.port), "--sim"]
        if self.sim_control:
            cmd.append("--sim-control")
        if self.camera:
            cmd += ["--camera", self.camera]
        cmd += list(self.args)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + timeout
        self.token = ""
        while time.monotonic() < end and not self.token:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            with open(self.log, "rb") as fh:
                fh.seek(offset)
                lines = fh.read().decode("utf-8", "replace").splitlines()
            for line in lines:
                if line.startswith("access token:"):
                    self.token = line.split(":", 1)[1].strip()
                    break
            time.sleep(0.1)
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(self.base + "/login", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("server did not answer in time")

    def kill(self) -> None:
        """Stop the process abruptly (a crash: nothing gets a chance to clean up)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def api(self, path: str, body: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None, token: str | None = None
            ) -> tuple[int, dict[str, Any]]:
        """A request with the bearer token (as a script would send it)."""
        data = None if body is None else json.dumps(body).encode()
        h = {"Content-Type": "application/json", **(headers or {})}
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        req = urllib.request.Request(self.base + path, data=data, headers=h,
                                     method="GET" if body is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"{}")
            except ValueError:
                return e.code, {}


def launch_browser(playwright: Any) -> Any:
    """A fresh headless Chromium context (1366x768) on Debian's browser."""
    return playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="idc-chromium-"), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS, viewport={"width": 1366, "height": 768}, locale="zh-CN")
