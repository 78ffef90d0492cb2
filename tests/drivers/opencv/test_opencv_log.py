"""OpenCV's own ``[ WARN:0@...]`` lines go through logging, not onto the command's output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from idcapture.drivers.opencv.cvlog import LOGGER_NAME, opencv_log_routed

# a device node no test machine has: opening it makes OpenCV warn on standard error
ABSENT = 57


@pytest.fixture()
def absent_camera() -> None:
    if Path(f"/dev/video{ABSENT}").exists() or sys.platform != "linux":
        pytest.skip(f"needs Linux without /dev/video{ABSENT} (OpenCV warns when it is absent)")


def test_opencv_warnings_in_a_routed_block_become_log_records(
        absent_camera: None, capfd: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    with opencv_log_routed():
        cap = cv2.VideoCapture(ABSENT, cv2.CAP_V4L2)
        os.write(2, b"another writer's line\n")
    assert not cap.isOpened()
    err = capfd.readouterr().err
    assert "[ WARN" not in err
    assert "another writer's line" in err  # text that is not OpenCV's is written back
    texts = [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]
    assert any("can't open camera by index" in t for t in texts), texts


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "idcapture", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_cli_output_has_no_opencv_lines_and_verbose_logs_them(absent_camera: None,
                                                              tmp_path: Path) -> None:
    cmd = ("face", "capture", f"opencv:{ABSENT}", "-o", str(tmp_path / "x.jpg"),
           "--timeout", "1")
    quiet = _run(*cmd)
    assert quiet.returncode == 1
    assert "[ WARN" not in quiet.stderr and "[ WARN" not in quiet.stdout
    assert quiet.stderr.strip().splitlines() == [
        f"idcapture: error: OpenCV could not open camera {ABSENT} with backend auto"]
    verbose = _run("-v", *cmd)
    assert "[ WARN" not in verbose.stderr
    assert f"INFO {LOGGER_NAME}: " in verbose.stderr
    assert "can't open camera by index" in verbose.stderr
