"""Address options: declared by every driver, checked on open, listed by ``drivers``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import idcapture
from idcapture.devices.options import Option
from idcapture.errors import AddressError, DriverUnavailable
from idcapture.plugins import BUILTIN_DRIVERS, DriverRegistry, get_registry


def test_misspelt_option_names_it_and_lists_the_valid_ones() -> None:
    with pytest.raises(AddressError) as err:
        idcapture.open("sim:camera", widht=320)
    msg = str(err.value)
    assert "'widht'" in msg and "width" in msg and "height" in msg and "photo" in msg


def test_wrong_type_is_an_address_error() -> None:
    with pytest.raises(AddressError, match=r"'width'.*integer"):
        idcapture.open_camera("sim:camera?width=wide")
    with pytest.raises(AddressError, match=r"'repeat'.*true or false"):
        idcapture.open_id_reader("sim:id-reader?repeat=maybe")


def test_unknown_sim_card_is_refused_not_the_sample() -> None:
    with pytest.raises(AddressError, match=r"'card'.*sample, none"):
        idcapture.open_id_reader("sim:id-reader?card=nonexistent")


def test_option_of_a_hardware_driver_is_checked_before_the_port_opens() -> None:
    with pytest.raises(AddressError, match=r"'bogus'.*baud"):
        idcapture.open_id_reader("sam-serial:/dev/ttyUSB0?bogus=1")


@pytest.mark.parametrize(("opener", "address", "named"), [
    (idcapture.open_camera, "sim:id-reader", "an ID-card reader, but a camera"),
    (idcapture.open_id_reader, "sim:camera", "a camera, but an ID-card reader"),
    (idcapture.open_fingerprint_sensor, "sim:camera", "a camera, but a fingerprint sensor"),
])
def test_address_of_the_wrong_device_kind(opener, address, named) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AddressError, match=rf"names {named} is wanted here.*valid: sim:"):
        opener(address)


def test_read_id_on_a_camera_address_fails_clearly() -> None:
    out = subprocess.run([sys.executable, "-m", "idcapture", "read-id", "sim:camera"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "names a camera" in out.stderr and "sim:id-reader" in out.stderr
    out = subprocess.run([sys.executable, "-m", "idcapture", "--lang", "zh", "read-id",
                          "sim:camera"], capture_output=True, text=True, timeout=120)
    assert "地址 'sim:camera' 指向摄像头，但此处需要身份证读卡器" in out.stderr, out.stderr


def test_every_builtin_driver_declares_its_options() -> None:
    reg = get_registry()
    checked = 0
    for kind, name, _target, _ in BUILTIN_DRIVERS:
        entry = reg.find(name, idcapture.DeviceKind.parse(kind))
        try:
            cls = entry.load()
        except DriverUnavailable as exc:  # the module needs a package not installed here
            pytest.skip(f"{name}: {exc.reason}")
        declared = cls.declared_options()
        assert declared is not None, f"{kind}:{name} declares no options"
        names = [o.name for o in declared]
        assert len(names) == len(set(names)) and {"timeout", "poll"} <= set(names)
        assert all(o.help for o in declared), f"{kind}:{name} has an option without help"
        checked += 1
    assert checked == len(BUILTIN_DRIVERS)


def test_drivers_json_lists_options() -> None:
    out = subprocess.run([sys.executable, "-m", "idcapture", "drivers", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    drivers = {(d["kind"], d["name"]): d for d in json.loads(out.stdout)["drivers"]}
    cam = {o["name"]: o for o in drivers[("camera", "sim")]["options"]}
    assert cam["width"] == {"name": "width", "type": "int", "default": 640,
                            "help": "frame width", "choices": []}
    reader = {o["name"] for o in drivers[("id_reader", "sam-serial")]["options"]}
    assert {"baud", "fingerprint", "retries", "timeout"} <= reader


def test_undeclared_driver_is_not_checked_and_lists_no_options() -> None:
    import numpy as np

    from idcapture.devices import Camera

    class Legacy(Camera):  # an older plugin's driver, declaring nothing
        def _read_frame(self, timeout: float) -> np.ndarray:
            return np.zeros((4, 4, 3), np.uint8)

    reg = DriverRegistry()
    entry = reg.add("camera", "legacy", Legacy)
    assert Legacy.declared_options() is None and entry.options() is None
    with reg.open("legacy:0?anything=1") as cam:
        assert cam.address.options == {"anything": "1"}


def test_option_checks() -> None:
    opt = Option("mode", "str", "a", "mode", choices=("a", "b"))
    opt.check("x", "B")
    with pytest.raises(AddressError, match="one of a, b"):
        opt.check("x", "c")
    Option("n", "int").check("x", "0x10")
    with pytest.raises(AddressError):
        Option("f", "float").check("x", "1,5")


def test_sam_usb_is_unavailable_without_pyusb(monkeypatch: pytest.MonkeyPatch) -> None:
    from idcapture.drivers.sam.usb_driver import SamUsbReader

    for mod in [m for m in sys.modules if m == "usb" or m.startswith("usb.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "usb", None)  # import usb raises ImportError
    reg = DriverRegistry()
    entry = reg.add("id_reader", "sam-usb", SamUsbReader)
    ok, reason = entry.availability()
    assert not ok and "pyusb" in reason


def test_native_search_only_in_folders_named_after_the_library(tmp_path: Path) -> None:
    from idcapture.drivers.zkfinger.api import SPEC
    from idcapture.transports.native import _vendor_dirs

    for d in ("zkfinger-sdk", "ZKFP", "postgresql", "google"):
        (tmp_path / d).mkdir()
    found = _vendor_dirs(SPEC, str(tmp_path))
    assert {Path(p).name for p in found} == {"zkfinger-sdk", "ZKFP", "lib"}
    assert not any("postgresql" in p or "google" in p for p in found)
