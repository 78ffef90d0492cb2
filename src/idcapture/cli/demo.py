"""``idcapture demo``: the end-to-end run on the simulators."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import Commands


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    run_demo(Path(args.out))
    return 0


def register(commands: Commands) -> None:
    p = commands.top.add_parser("demo", help="run a complete capture on the simulators")
    p.add_argument("--out", default="demo-output", help="folder to write into "
                   "(default: ./demo-output)")
    p.set_defaults(func=cmd_demo)
