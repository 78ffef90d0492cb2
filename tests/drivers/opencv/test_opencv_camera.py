"""The OpenCV camera driver against real video files decoded by OpenCV's FFmpeg backend."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import idcapture
from idcapture.devices import DeviceState
from idcapture.drivers.opencv.camera import OpenCvCamera
from idcapture.errors import ConfigError, DeviceNotFound, DeviceRemoved
from idcapture.testing import CameraContract


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (160, 120)) -> Path:
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, size)
    assert w.isOpened()
    for i in range(frames):
        img = np.full((size[1], size[0], 3), 10 + 20 * i, np.uint8)
        w.write(img)
    w.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.avi")


class TestOpenCvContract(CameraContract):
    @pytest.fixture
    def device_address(self, video: Path) -> str:
        return f"opencv:{video}?loop=true"


def test_frames_in_order_with_content(video: Path) -> None:
    with idcapture.open_camera(f"opencv:{video}") as cam:
        assert isinstance(cam, OpenCvCamera)
        assert cam.resolution == (160, 120)
        assert cam.frame_rate == pytest.approx(25)
        means = [cam.read_frame().image.mean() for _ in range(12)]
        assert means == sorted(means)  # brightness rises frame by frame
        assert abs(means[0] - 10) < 4 and abs(means[-1] - 230) < 4
        assert cam.info.extra["backend"] == "FFMPEG"


def test_end_of_file_is_removal_then_recovers(video: Path) -> None:
    with idcapture.open_camera(f"opencv:{video}") as cam:
        for _ in range(12):
            cam.read_frame()
        with pytest.raises(DeviceRemoved) as err:
            cam.read_frame()
        assert err.value.code == "end-of-stream"
        assert cam.state is DeviceState.REMOVED
        # "plugged back": the next call reopens the source
        assert cam.read_frame().image.mean() < 20
        assert cam.state is DeviceState.OPEN


def test_source_gone_and_back(video: Path, tmp_path: Path) -> None:
    with idcapture.open_camera(f"opencv:{video}") as cam:
        for _ in range(12):
            cam.read_frame()
        hidden = tmp_path / "hidden.avi"
        video.rename(hidden)
        with pytest.raises(DeviceRemoved):
            cam.read_frame()
        with pytest.raises(DeviceRemoved, match="still gone"):
            cam.read_frame()
        hidden.rename(video)
        assert cam.read_frame().image.shape == (120, 160, 3)


def test_loop_option(video: Path) -> None:
    with idcapture.open_camera(f"opencv:{video}?loop=true") as cam:
        means = [cam.read_frame().image.mean() for _ in range(14)]
        assert means[12] < means[11]


def test_refused_request_reported_and_strict(video: Path) -> None:
    with idcapture.open_camera(f"opencv:{video}?width=1920&height=1080") as cam:
        assert isinstance(cam, OpenCvCamera)
        assert cam.refused == {"width": (1920.0, 160.0), "height": (1080.0, 120.0)}
    with pytest.raises(ConfigError, match="refused"):
        idcapture.open_camera(f"opencv:{video}?width=1920&strict=true")


def test_bad_addresses(tmp_path: Path, video: Path) -> None:
    with pytest.raises(DeviceNotFound, match="does not exist"):
        idcapture.open_camera(f"opencv:{tmp_path / 'none.avi'}")
    with pytest.raises(ConfigError, match="backend"):
        idcapture.open_camera(f"opencv:{video}?backend=quantum")
    with pytest.raises(ConfigError, match="fourcc"):
        idcapture.open_camera(f"opencv:{video}?fourcc=MJPEG")
    with pytest.raises(DeviceNotFound):
        idcapture.open_camera("opencv:57?backend=v4l2")


def test_discover_lists_v4l2_nodes_only() -> None:
    found = OpenCvCamera.discover(timeout=1)
    assert all(d.address.startswith("opencv:") for d in found)
    assert len(found) == len({d.address for d in found})
