"""``idcapture demo``: a school's capture day on the simulators (see :mod:`idcapture.demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import Commands


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    result = run_demo(Path(args.out), finger_algorithm=args.finger_algorithm)
    return 0 if result.verify.ok else 1


def register(commands: Commands) -> None:
    p = commands.top.add_parser("demo", help="run a school's capture day on the simulators: "
                                "roster, registration, capture, check, export")
    p.add_argument("--out", default="demo-output", help="folder to write into "
                   "(default: ./demo-output)")
    p.add_argument("--finger-algorithm", metavar="ADDRESS", default=None,
                   help="also run the card-fingerprint check with this algorithm (e.g. "
                   "'idfpr:'): the cards carry their holders' thumbs, one student presents "
                   "another's thumb, one card carries no fingerprints")
    p.set_defaults(func=cmd_demo)
