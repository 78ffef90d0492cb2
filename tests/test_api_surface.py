"""The pieces of the public API fit together: a camera's frames feed auto-capture, the
station's documented names import from ``idcapture.station``, the safe defaults agree,
a record validates in memory."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import idcapture


def test_autocapture_feeds_camera_frames() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture

    cap = AutoCapture("exam-480x640", timeout_s=60)
    with idcapture.open_camera("sim:camera?fps=0") as camera:
        for frame in camera.frames(count=80):
            step = cap.feed(frame)          # a Frame, as the camera gives it
            assert step.instruction.text
            if cap.done:
                break
    result = cap.finish()
    assert result.accepted, result.failing
    assert result.frame is not None and result.frame.shape == (480, 640, 3)


def test_autocapture_takes_the_frame_timestamp() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture

    cap = AutoCapture("exam-480x640", timeout_s=5)
    with idcapture.open_camera("sim:camera?face=false&photo=none&fps=0") as camera:
        first = camera.read_frame()
        cap.feed(first)
        later = idcapture.Frame(first.image, first.timestamp + 6.0, 1)
        cap.feed(later)  # 6 s later by the frame's own clock: past the 5 s timeout
    assert cap.done and cap.result is not None and cap.result.timed_out


def test_autocapture_afeed_leaves_the_loop_free() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture, LiveStep

    async def main() -> tuple[list[LiveStep], int]:
        cap = AutoCapture("exam-480x640", timeout_s=60)
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        with idcapture.open_camera("sim:camera?fps=0") as camera:
            steps = [await cap.afeed(frame) for frame in camera.frames(count=4)]
        stop = True
        await task
        return steps, ticks

    steps, ticks = asyncio.run(main())
    assert len(steps) == 4
    assert ticks >= 4  # the loop ran while frames were analysed in a worker thread


def test_autocapture_refuses_what_is_not_a_frame() -> None:
    pytest.importorskip("cv2")
    from idcapture.biometrics.face import AutoCapture, FaceInputError

    with pytest.raises(FaceInputError, match="numpy array"):
        AutoCapture().feed("frame.jpg")  # type: ignore[arg-type]
    with pytest.raises(FaceInputError, match="uint8"):
        AutoCapture().feed(np.zeros((48, 48, 3), np.float32))
