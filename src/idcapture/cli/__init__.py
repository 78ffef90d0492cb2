"""The ``idcapture`` command: thin over the library.

Each module in :data:`COMMAND_MODULES` has ``register(commands)`` that adds its
subcommands, either at the top level (``commands.top.add_parser``) or in a group
(``commands.group("finger").add_parser``). A subcommand's ``func(args)`` returns the
exit status: 0 ok, 1 failure; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import IdCaptureError

__all__ = ["COMMAND_MODULES", "Commands", "main", "print_json"]

#: modules under idcapture.cli that add subcommands
COMMAND_MODULES: list[str] = [
    "core",
    "record_cmd",
    "emrtd_cmd",
    "demo",
    "id_reader",
    "finger_tools",
    "finger_synth",
    "finger_match",
    "face_cmd",
    "station_cmd",
    "province_cmd",
    "web_cmd",
    "finger_capture",
]


class Commands:
    """What a command module receives: the top-level subparsers and named groups."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser
        self.top = parser.add_subparsers(dest="command", metavar="COMMAND")
        self._groups: dict[str, Any] = {}

    def group(self, name: str, help: str = "") -> Any:
        """The subparsers of ``idcapture NAME ...`` (created on first use)."""
        if name not in self._groups:
            p = self.top.add_parser(name, help=help or f"{name} commands")
            p.set_defaults(func=lambda _a, _p=p: (_p.print_help(), 2)[1])
            self._groups[name] = p.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
        return self._groups[name]


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON on standard output (UTF-8, sorted keys)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2,
                                default=str) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idcapture",
        description="Identity-capture stations: devices, simulators, biometrics, records.")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (-v info, -vv debug); personal data stays masked")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"idcapture {__version__}")
    commands = Commands(parser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level={0: logging.WARNING, 1: logging.INFO}.get(args.verbose,
                                                                          logging.DEBUG),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except IdCaptureError as exc:
        print(f"idcapture: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("idcapture: interrupted", file=sys.stderr)
        return 1
