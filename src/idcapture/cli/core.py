"""``idcapture drivers`` and ``idcapture devices``."""

from __future__ import annotations

import argparse

from ..devices.base import DeviceKind
from ..plugins import get_registry
from . import Commands, print_json


def _kind(value: str | None) -> DeviceKind | None:
    return DeviceKind.parse(value) if value else None


def cmd_drivers(args: argparse.Namespace) -> int:
    reg = get_registry()
    entries = [e.as_dict() for e in reg.entries(_kind(args.kind))]
    plugins = [p.as_dict() for p in reg.plugins]
    if args.json:
        print_json({"drivers": entries, "plugins": plugins})
        return 0
    width = max((len(e["name"]) for e in entries), default=4)
    for e in entries:
        state = "available" if e["available"] else f"unavailable: {e['reason']}"
        print(f"{e['kind']:<19} {e['name']:<{width}}  {state}  [{e['plugin']}]")
    for p in plugins:
        if not p["loaded"]:
            print(f"plugin {p['name']} ({p['value']}): unavailable: {p['reason']}")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    found, problems = get_registry().discover(_kind(args.kind), args.timeout)
    if args.json:
        print_json({"devices": [d.as_dict() for d in found],
                    "problems": [{"driver": d, "problem": p} for d, p in problems]})
        return 0
    for d in found:
        print(f"{d.kind.value:<19} {d.address:<32} {d.description}")
    for drv, problem in problems:
        print(f"({drv}: {problem})")
    if not found:
        print("no devices found")
    return 0


def register(commands: Commands) -> None:
    p = commands.top.add_parser("drivers", help="list registered drivers and whether they "
                                "can be used here")
    p.add_argument("--kind", help="id_reader, camera, fingerprint_sensor or finger_algorithm")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_drivers)
    p = commands.top.add_parser("devices", help="discover attached devices")
    p.add_argument("--kind", help="id_reader, camera, fingerprint_sensor or finger_algorithm")
    p.add_argument("--timeout", type=float, default=5.0, help="overall time limit (s)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_devices)
