"""``idcapture finger synth``: write synthetic fingerprint images with their ground truth."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import ConfigError
from ..i18n import N_
from . import Commands
from .progress import progress_for

log = logging.getLogger("idcapture.cli.finger_synth")


def _size(text: str) -> tuple[int, int]:
    """``HEIGHTxWIDTH`` in pixels, e.g. ``500x400``."""
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH in pixels, got {text!r}"
                                         ) from None
    return h, w


def cmd_synth(args: argparse.Namespace) -> int:
    from ..synth.fingerprints import (
        FingerClass,
        ImpressionStyle,
        generate_master,
        make_impression,
        write_impression,
    )

    if args.count < 1 or args.impressions < 1:
        raise ConfigError(N_("--count and --impressions must be at least 1"))
    styles = [ImpressionStyle(s) for s in (args.style or ["good"])]
    finger_class = FingerClass(args.finger_class) if args.finger_class else None
    written = 0
    bar = progress_for(args, "writing impressions", args.count * args.impressions)
    for i in range(args.count):
        master_seed = args.seed + i
        master = generate_master(master_seed, finger_class, size=args.size, ppi=args.ppi)
        if args.masters:
            from PIL import Image

            args.output.mkdir(parents=True, exist_ok=True)
            Image.fromarray(master.image(), mode="L").save(
                args.output / f"f{master_seed:05d}_master.png", dpi=(args.ppi, args.ppi))
        for j in range(args.impressions):
            style = styles[j % len(styles)]
            imp = make_impression(master, j, style, size=args.sensor_size)
            write_impression(imp, args.output, f"f{master_seed:05d}_{j:02d}")
            written += 1
            bar.update(written)
        log.info("finger %d: %s, %d minutiae, %d impression(s)", master_seed,
                 master.finger_class.value, len(master.minutiae), args.impressions)
    bar.close()
    print(f"wrote {written} image(s) with ground truth to {args.output}")
    return 0


def register(commands: Commands) -> None:
    group = commands.group("finger", help="fingerprint quality and minutiae")
    p = group.add_parser(
        "synth", help="generate synthetic fingerprints (PNG) with ground-truth minutiae (JSON)",
        description="Each finger is a master print drawn from its seed; each impression is "
                    "written as <stem>.png beside <stem>.json holding the ground-truth "
                    "minutiae in the image's pixel frame.")
    p.add_argument("--count", type=int, default=10, help="number of fingers (default 10)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the first finger; finger i uses seed+i (default 0)")
    p.add_argument("--impressions", type=int, default=1,
                   help="impressions per finger; impression j uses seed j (default 1)")
    p.add_argument("--style", action="append",
                   choices=["good", "dry", "wet", "partial", "rotated", "smudged"],
                   help="impression style; repeat to cycle through several (default good)")
    p.add_argument("--class", dest="finger_class",
                   choices=["arch", "tented_arch", "left_loop", "right_loop", "whorl"],
                   help="finger class (default: natural class frequencies)")
    p.add_argument("--size", type=_size, default=(500, 400),
                   help="master size HEIGHTxWIDTH in px (default 500x400)")
    p.add_argument("--sensor-size", type=_size, default=None,
                   help="impression size HEIGHTxWIDTH in px (default: the master size)")
    p.add_argument("--ppi", type=int, default=500, help="resolution (default 500)")
    p.add_argument("--masters", action="store_true", help="also write the clean masters")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress")
    p.set_defaults(func=cmd_synth)
