"""``idcapture finger quality|extract``: fingerprint quality and minutiae from image files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..i18n import N_

__all__ = ["register"]

FORMATS = ("iso19794-2", "ansi378", "json")


def register(commands: Any) -> None:
    """Add ``finger quality`` and ``finger extract``."""
    group = commands.group("finger", help="fingerprint quality and minutiae")
    q = group.add_parser("quality", help="score a fingerprint image 0-100 and say why it fails")
    q.add_argument("image", type=Path, help="image file (PNG, BMP, TIFF, PGM, JPEG, WSQ...)")
    q.add_argument("--ppi", type=int, default=500, help="image resolution (default 500)")
    q.add_argument("--profile", default="default",
                   help="quality profile name or a JSON file of thresholds")
    q.add_argument("--json", action="store_true", help="print the full result as JSON")
    q.set_defaults(func=_quality)
    e = group.add_parser("extract", help="extract minutiae and write a template")
    e.add_argument("image", type=Path, help="image file")
    e.add_argument("--ppi", type=int, default=500, help="image resolution (default 500)")
    e.add_argument("--format", choices=FORMATS, default="iso19794-2",
                   help="template format (default iso19794-2)")
    e.add_argument("--position", default="unknown",
                   help="finger position code or name, e.g. right-thumb (default unknown)")
    e.add_argument("-o", "--output", type=Path, required=True, help="template file to write")
    e.set_defaults(func=_extract)


def _load(path: Path) -> np.ndarray:
    """Read an image file as 8-bit grey (guarded: :func:`~idcapture.formats.images.load_image`)."""
    from ..formats.images import load_image

    return load_image(path, "L")


def _profile(value: str) -> Any:
    from ..biometrics.finger import PROFILES

    if value in PROFILES:
        return value
    p = Path(value)
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(N_("cannot read profile {name}: {reason}").format(
                name=p.name, reason=exc), "bad-profile") from None
        return data
    return value  # unknown names raise a ConfigError listing the known ones


def _quality(args: argparse.Namespace) -> int:
    from ..biometrics import finger

    img = _load(args.image)
    an = finger.analyse(img, args.ppi)
    tmpl = finger.template_from_analysis(an)
    q = finger.assess(an, tmpl, _profile(args.profile))
    if args.json:
        sys.stdout.write(json.dumps(q.to_json(), sort_keys=True, indent=2) + "\n")
    else:
        from . import tr, tr_value

        verdict = (tr(N_("pass")) if q.passed else tr(N_("retry: {reasons}")).format(
            reasons=", ".join(tr_value("retry", r.value) for r in q.reasons)))
        print(tr(N_("{name}: quality {score}/100 ({profile}) - {verdict}")).format(
            name=args.image.name, score=q.score, profile=q.profile.name, verdict=verdict))
    return 0 if q.passed else 1


def _extract(args: argparse.Namespace) -> int:
    from ..biometrics import finger
    from ..record import FingerPosition

    try:
        position = FingerPosition.parse(args.position)
    except ValueError as exc:
        raise ConfigError(str(exc), "bad-position") from None
    t = finger.extract(_load(args.image), args.ppi, position=position)
    if args.format == "json":
        data = (json.dumps(t.to_json(), sort_keys=True, indent=2) + "\n").encode("utf-8")
    elif args.format == "ansi378":
        from ..formats import ansi378

        data = ansi378.template_record(t)
    else:
        from ..formats import iso19794_2

        data = iso19794_2.template_record(t)
    args.output.write_bytes(data)
    from . import tr

    print(tr(N_("{name}: {count} minutiae, quality {score}/100 -> {file} ({format}, {size} "
                "bytes)")).format(name=args.image.name, count=len(t.minutiae), score=t.quality,
                                  file=args.output, format=args.format, size=len(data)))
    return 0
