"""The driver registry: built-ins, lazy loading, unavailable drivers, entry points, env vars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from idcapture.devices import Camera, DeviceKind
from idcapture.errors import AddressError, ConfigError, DriverUnavailable
from idcapture.plugins import DriverRegistry, get_registry

ROOT = Path(__file__).resolve().parents[1]


def test_builtin_sims_registered() -> None:
    reg = get_registry()
    names = {(e.kind, e.name) for e in reg.entries()}
    assert (DeviceKind.ID_READER, "sim") in names
    assert (DeviceKind.CAMERA, "sim") in names
    assert (DeviceKind.FINGERPRINT_SENSOR, "sim") in names


def test_lazy_import_and_unavailable_reason() -> None:
    reg = DriverRegistry()
    entry = reg.add("camera", "ghost", "idcapture_no_such_vendor.cam:Cam")
    assert entry._cls is None  # nothing imported at registration
    ok, reason = entry.availability()
    assert not ok and "idcapture_no_such_vendor" in reason
    with pytest.raises(DriverUnavailable) as err:
        reg.open("ghost:0")
    assert "idcapture_no_such_vendor" in str(err.value)
    assert err.value.driver == "ghost"


def test_wrong_kind_and_not_a_device() -> None:
    reg = DriverRegistry()
    reg.add("camera", "wrongkind", "idcapture.sim.sam.driver:SimIdReader")
    reg.add("camera", "notdevice", "idcapture.record:CaptureRecord")
    assert "registered as camera" in reg.find("wrongkind").availability()[1]
    assert "not a Device" in reg.find("notdevice").availability()[1]


def test_duplicate_and_bad_names() -> None:
    reg = DriverRegistry()
    reg.add("camera", "x", "a.b:C")
    with pytest.raises(ConfigError, match="already registered"):
        reg.add("camera", "x", "a.b:D")
    reg.add("camera", "x", "a.b:D", replace=True)
    with pytest.raises(ConfigError):
        reg.add("camera", "bad name", "a.b:C")
    with pytest.raises(ConfigError):
        reg.add("camera", "nodots", "abc")


def test_find_ambiguous_sim_by_target() -> None:
    reg = get_registry()
    assert reg.find("sim", target="camera").kind is DeviceKind.CAMERA
    assert reg.find("sim", target="fingerprint").kind is DeviceKind.FINGERPRINT_SENSOR
    with pytest.raises(AddressError, match="several device kinds"):
        reg.find("sim", target="")
    with pytest.raises(AddressError, match="no driver called"):
        reg.find("nope")


def test_register_class_object() -> None:
    from idcapture.sim.camera.driver import SimCamera

    reg = DriverRegistry()
    reg.add("camera", "direct", SimCamera)
    with reg.open("direct:0") as cam:
        assert isinstance(cam, Camera)


# ------------------------------------------------------------------ entry points


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin, a broken plugin and one with a misspelt hook, pip-installed
    into a private folder."""
    target = tmp_path_factory.mktemp("site")
    for pkg in (ROOT / "examples" / "idcapture-example-driver",
                ROOT / "tests" / "data" / "broken-plugin",
                ROOT / "tests" / "data" / "misspelt-plugin"):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--no-build-isolation", "--disable-pip-version-check",
                        "--target", str(target), str(pkg)], check=True,
                       capture_output=True, timeout=300)
    return target


def run_cli(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("IDCAPTURE_")}
    e["PYTHONPATH"] = os.pathsep.join([str(site), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    e.update(env)
    return subprocess.run([sys.executable, "-m", "idcapture", *args], capture_output=True,
                          text=True, env=e, timeout=120)


@pytest.mark.slow
def test_example_plugin_discovered_and_blockable(plugin_site: Path) -> None:
    out = run_cli(plugin_site, "drivers", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    drivers = {d["name"]: d for d in data["drivers"]}
    assert drivers["example-pattern"]["available"] is True
    assert drivers["example-pattern"]["plugin"] == "example"
    assert drivers["example-reader"]["available"] is True
    # a driver whose vendor module is missing is listed, unavailable, with the reason
    assert drivers["example-vendor-sdk"]["available"] is False
    assert "acme_fingerprint_sdk" in drivers["example-vendor-sdk"]["reason"]
    # the broken plugin is reported, and does not break the others
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["example"]["loaded"] is True
    assert plugins["broken"]["loaded"] is False
    assert "vendor_binding_that_does_not_exist" in plugins["broken"]["reason"]
    assert drivers["sim"]["available"] is True

    blocked = json.loads(run_cli(plugin_site, "drivers", "--json",
                                 IDCAPTURE_BLOCK_PLUGINS="example").stdout)
    assert "example-pattern" not in {d["name"] for d in blocked["drivers"]}
    assert "sim" in {d["name"] for d in blocked["drivers"]}

    only = json.loads(run_cli(plugin_site, "drivers", "--json",
                              IDCAPTURE_ALLOW_PLUGINS="broken").stdout)
    assert "example-pattern" not in {d["name"] for d in only["drivers"]}
    assert [p["name"] for p in only["plugins"]] == ["broken"]

    text = run_cli(plugin_site, "drivers")
    assert "plugin broken" in text.stdout and "unavailable" in text.stdout


@pytest.mark.slow
def test_plugin_problems_reported_once_and_clearly(plugin_site: Path) -> None:
    data = json.loads(run_cli(plugin_site, "drivers", "--json").stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    drivers = {d["name"]: d for d in data["drivers"]}
    # a misspelt hook is caught by pluggy's validation, named, with the real hook
    assert plugins["misspelt"]["loaded"] is False
    reason = plugins["misspelt"]["reason"]
    assert "'idcapture_register_driver'" in reason and "'idcapture_register_drivers'" in reason
    assert "misspelt-cam" not in drivers
    # the example plugin's camera declares its option
    assert [o["name"] for o in drivers["example-pattern"]["options"]
            if o["name"] not in ("timeout", "poll")] == ["blue"]
    text = run_cli(plugin_site, "drivers")
    out = text.stdout + text.stderr
    assert out.count("vendor_binding_that_does_not_exist") == 1
    assert out.count("idcapture_register_driver'") == 1
    # opening a driver nobody registered, while a plugin failed: DriverUnavailable
    code = ("import idcapture\n"
            "try:\n    idcapture.open_camera('acme:0')\n"
            "except idcapture.errors.DriverUnavailable as e:\n    print('DU', e)\n")
    e = {k: v for k, v in os.environ.items() if not k.startswith("IDCAPTURE_")}
    e["PYTHONPATH"] = str(plugin_site)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=e, timeout=120)
    assert res.stdout.startswith("DU driver 'acme' is unavailable: "), res.stdout + res.stderr
    assert "plugin 'broken'" in res.stdout and "plugin 'misspelt'" in res.stdout


@pytest.mark.slow
def test_example_plugin_passes_the_contract_tests(plugin_site: Path) -> None:
    e = {k: v for k, v in os.environ.items() if not k.startswith("IDCAPTURE_")}
    e["PYTHONPATH"] = str(plugin_site)
    tests = ROOT / "examples" / "idcapture-example-driver" / "tests"
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(tests)], capture_output=True, text=True, env=e, timeout=300,
                         cwd=str(tests))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert " passed" in out.stdout
