"""One progress facility: a bar on a terminal, plain periodic lines otherwise, nothing
with --json or --quiet."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from idcapture.cli import main
from idcapture.cli.progress import Progress


def test_plain_lines_at_most_every_interval_and_at_the_end() -> None:
    out = io.StringIO()
    bar = Progress("exporting", 400, stream=out, interval_s=3600.0)
    for done in range(1, 401):
        bar.update(done)
    bar.close()
    assert out.getvalue() == "exporting: 400/400 (100%)\n"  # one line: the interval is long
    out = io.StringIO()
    bar = Progress("rows read", stream=out, interval_s=0.0)
    bar.update(5000)
    bar.update(10000)
    bar.close()
    assert out.getvalue() == "rows read: 5000\nrows read: 10000\n"
    assert "\r" not in out.getvalue()


def test_disabled_prints_nothing() -> None:
    out = io.StringIO()
    with Progress("x", 3, enabled=False, stream=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pty for a terminal")
def test_a_terminal_gets_a_bar() -> None:
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        with open(slave, "w", encoding="utf-8", closefd=False) as tty, \
                Progress("comparing", 10, stream=tty) as bar:
            for done in range(1, 11):
                bar.update(done)
        os.close(slave)
        slave = -1
        data = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    text = data.decode("utf-8", "replace")
    assert "comparing" in text and "10/10" in text and "\r" in text  # redrawn in place


def _synth(*extra: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "idcapture", "finger", "synth", "--count",
                           "2", "--impressions", "2", "-o", str(out), *extra],
                          capture_output=True, text=True, timeout=300)


def test_finger_synth_reports_progress_in_plain_lines_when_not_on_a_terminal(
        tmp_path: Path) -> None:
    run = _synth(out=tmp_path / "a")
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr
    assert run.stderr.splitlines()[-1] == "writing impressions: 4/4 (100%)"
    assert run.stdout.startswith("wrote 4 image(s)")
    quiet = _synth("--quiet", out=tmp_path / "b")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_json_commands_show_no_progress(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["finger", "synth", "--count", "2", "-o", str(tmp_path), "--quiet"]) == 0
    capsys.readouterr()
    main(["finger", "dedup", str(tmp_path), "--json", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["templates"] == 2
    main(["finger", "dedup", str(tmp_path), "--jobs", "1"])
    err = capsys.readouterr().err
    assert "extracting: 2/2 (100%)" in err and "comparing: " in err
