"""Finger sources and event scripts, the scripted in-process sim, and the finger CLI."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

import idcapture
from idcapture.cli import main
from idcapture.drivers.finger_acceptance import assess
from idcapture.errors import ConfigError, DeviceRemoved, RetryNeeded, RetryReason
from idcapture.sim.as608 import As608Module, As608PtySimulator
from idcapture.sim.finger.sources import (
    FingerEvent,
    FingerFeed,
    PollKind,
    SyntheticSource,
    fit_to_sensor,
    load_script,
    parse_script,
    parse_source,
)


def test_script_expands_into_polls(tmp_path: Path) -> None:
    img = np.full((300, 280), 230, np.uint8)
    img[50:250, 40:240] = 60
    cv2.imwrite(str(tmp_path / "f.png"), img)
    (tmp_path / "s.json").write_text(json.dumps({"events": [
        {"no_finger": 2}, {"present": "f.png", "polls": 2}, {"lift_mid_capture": True},
        {"same_finger": True}, {"unplug": True}], "then": "synthetic:seed=1"}))
    events, then = load_script(tmp_path / "s.json")
    feed = FingerFeed(events, then, width=256, height=288)
    kinds = [feed.poll().kind for _ in range(7)]
    assert kinds == [PollKind.NO_FINGER] * 2 + [PollKind.FINGER] * 2 + [
        PollKind.LIFTED, PollKind.FINGER, PollKind.UNPLUGGED]
    after = feed.poll()
    assert after.kind is PollKind.FINGER and after.image is not None
    assert after.image.shape == (288, 256) and after.source == "synthetic:seed=1"


class _CountingSource(SyntheticSource):
    """A synthetic finger that counts its renders."""

    renders: int = 0

    def impression(self, n: int = 0) -> np.ndarray:  # type: ignore[type-arg]
        self.renders += 1
        return super().impression(n)


def _events(source: type[SyntheticSource]) -> list[FingerEvent]:
    return [FingerEvent("no_finger", 1), FingerEvent("present", 2, source(2, spec="two")),
            FingerEvent("lift_mid_capture"),
            FingerEvent("present", 1, source(3, "dry", spec="three")),
            FingerEvent("same_finger", 2)]


def test_rendered_ahead_feed_shows_the_same_prints_without_rendering_on_poll() -> None:
    events = _events(_CountingSource)
    then = _CountingSource(5, spec="five")
    ahead = FingerFeed(events, then, width=256, height=288)
    assert ahead.render_ahead() == 5 + 1  # five scripted prints and the next `then`
    renders = [getattr(e.source, "renders", 0) for e in events]
    assert renders == [0, 2, 0, 3, 0]
    lazy = FingerFeed(_events(SyntheticSource), SyntheticSource(5, spec="five"),
                      width=256, height=288)
    for _ in range(10):  # the script's seven polls and three of the `then` finger
        a, b = ahead.poll(), lazy.poll()
        assert (a.kind, a.source) == (b.kind, b.source)
        assert (a.image is None and b.image is None) or np.array_equal(a.image, b.image)
    # the scripted polls took the prints rendered before the first poll
    assert [getattr(e.source, "renders", 0) for e in events] == renders


def test_events_added_after_rendering_ahead_keep_their_order() -> None:
    events, _ = parse_script([{"present": "synthetic:seed=2"}])
    feed = FingerFeed(events, width=256, height=288)
    feed.render_ahead()
    feed.extend(parse_script([{"same_finger": True}, {"present": "synthetic:seed=3"}])[0])
    first, again, other = feed.poll(), feed.poll(), feed.poll()
    assert [first.source, again.source, other.source] == [
        "synthetic:seed=2", "synthetic:seed=2", "synthetic:seed=3"]
    assert not np.array_equal(first.image, again.image)  # a new impression of the finger
    assert feed.poll().kind is PollKind.NO_FINGER


@pytest.mark.parametrize("bad", [
    [{"no_finger": -1}], [{"present": "x.txt"}], [{"lift_mid_capture": 3}],
    [{"no_finger": 1, "unplug": True}], ["no_finger"], [{"present": "synthetic:seed=1,x=2"}],
    [{"present": "synthetic:style=soggy"}]])
def test_bad_scripts_are_config_errors(bad: list[object]) -> None:
    with pytest.raises(ConfigError):
        parse_script(bad)  # type: ignore[arg-type]


def test_synthetic_source_impression_option_picks_another_touch() -> None:
    base = parse_source("synthetic:seed=7")
    later = parse_source("synthetic:seed=7,impression=2")
    assert np.array_equal(later.impression(0), base.impression(2))
    assert not np.array_equal(later.impression(0), base.impression(0))
    for bad in ("synthetic:seed=7,impression=x", "synthetic:seed=7,impression=-1",
                "synthetic:seed=7,touch=1"):
        with pytest.raises(ConfigError):
            parse_source(bad)


def test_fit_to_sensor_crops_and_pads() -> None:
    img = np.arange(400 * 300, dtype=np.uint32).reshape(400, 300).astype(np.uint8)
    out = fit_to_sensor(img, 256, 288)
    assert out.shape == (288, 256) and np.array_equal(out, img[56:344, 22:278])
    padded = fit_to_sensor(np.zeros((100, 100), np.uint8), 256, 288)
    assert padded.shape == (288, 256) and padded[144, 128] == 0
    src = np.random.default_rng(0).integers(0, 256, (400, 300)).astype(np.uint8)
    half = fit_to_sensor(src, 300, 400, source_ppi=1000)
    small = cv2.resize(src, (150, 200), interpolation=cv2.INTER_AREA)
    assert half.shape == (400, 300) and np.array_equal(half[100:300, 75:225], small)
    assert (half[:100] == np.percentile(small, 95).astype(np.uint8)).all()


def test_fvc_prints_mostly_pass_the_acceptance_check(shared_data: Path) -> None:
    files = sorted((shared_data / "fingerprints" / "FVC2002_DB1_B").glob("*.tif"))
    assert files
    refused = [f.name for f in files
               if assess(fit_to_sensor(parse_source(str(f)).impression(), 256, 288))]
    # FVC2002 DB1 holds some faint and off-centre impressions that a sensor would refuse
    assert len(refused) <= 0.2 * len(files), refused


def test_scripted_in_process_sim(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"no_finger": 2}, {"present": "synthetic:seed=2"},
                                  {"present": "synthetic:seed=2,style=wet"},
                                  {"lift_mid_capture": True}, {"unplug": True}]))
    with idcapture.open_fingerprint_sensor(f"sim:fingerprint?script={script}") as dev:
        got = dev.capture(timeout=2)
        assert got.attempts == 3
        for reason in (RetryReason.TOO_DARK, RetryReason.FINGER_LIFTED):
            with pytest.raises(RetryNeeded) as err:
                dev.capture(timeout=2)
            assert err.value.outcome.reason is reason
        with pytest.raises(DeviceRemoved):
            dev.capture(timeout=2)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pty")
def test_cli_finger_capture_from_the_pty_simulator(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    events, _ = parse_script([{"no_finger": 1}, {"present": "synthetic:seed=3"},
                              {"present": "synthetic:seed=3,style=dry"}])
    module = As608Module(FingerFeed(events, None, width=256, height=288))
    with As608PtySimulator(module, pacing=False) as sim:
        out = tmp_path / "thumb.png"
        assert main(["finger", "capture", sim.address, "--finger", "right-thumb", "-o",
                     str(out), "--timeout", "5"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["position"] == "right-thumb" and report["attempts"] == 2
        assert cv2.imread(str(out), cv2.IMREAD_GRAYSCALE).shape == (288, 256)
        assert main(["finger", "capture", sim.address, "-o", str(out), "--timeout", "2"]) == 1
        assert "too-light" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pty")
def test_cli_sim_fingerprint_serves_until_its_duration(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    rc: list[int] = []
    t = threading.Thread(target=lambda: rc.append(main(
        ["sim", "fingerprint", "--source", "synthetic:seed=4", "--no-pacing",
         "--duration", "1.5", "--baud", "115200"])))
    t.start()
    t.join(5)
    assert rc == [0]
    line = json.loads(capsys.readouterr().out)  # one JSON line, as the other simulators print
    assert line["address"].startswith("as608:/dev/") and line["baud"] == 115200
    assert line["address"].split("?")[0] == f"as608:{line['tty']}"
