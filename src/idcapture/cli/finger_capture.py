"""``idcapture finger capture`` and ``idcapture sim fingerprint``."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from ..errors import ConfigError, RetryNeeded
from ..i18n import N_
from ..record import FingerPosition
from . import Commands, print_json, tr


def cmd_capture(args: argparse.Namespace) -> int:
    import cv2

    from .. import open_fingerprint_sensor

    try:
        position = FingerPosition.parse(args.finger)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    end = time.monotonic() + args.timeout
    with open_fingerprint_sensor(args.address) as sensor:
        while True:
            try:
                got = sensor.capture(position, timeout=max(end - time.monotonic(), 0.1))
                break
            except RetryNeeded as exc:
                print(tr(N_("retry: {reason}: {message}").format(
                    reason=exc.outcome.reason.value, message=exc.outcome)), file=sys.stderr)
                if not args.retry or time.monotonic() >= end:
                    raise
    out = Path(args.output)
    ok, encoded = cv2.imencode(out.suffix or ".png", got.image)
    if not ok:
        raise ConfigError(N_("cannot write an image with suffix {suffix}").format(
            suffix=repr(out.suffix)[:40]))
    out.write_bytes(encoded.tobytes())
    print_json({"file": str(out), "width_px": got.width, "height_px": got.height,
                "resolution_ppi": got.resolution_ppi, "position": position.slug,
                "captured_at": got.captured_at.isoformat(), "duration_s": round(got.duration_s, 3),
                "attempts": got.attempts, "device": got.device,
                "sha256": hashlib.sha256(got.image.tobytes()).hexdigest()})
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    from ..sim.finger.sources import FingerFeed, load_script, parse_source

    events, then = load_script(args.script) if args.script else ([], None)
    if args.source:
        then = parse_source(args.source)
    if args.zk_feed:
        from ..sim.zkfinger.control import write_feed_file

        n = write_feed_file(args.zk_feed, FingerFeed(events, None, width=300, height=400))
        print(f"wrote {n} scripted polls; run the zkfinger driver with "
              f"IDCAPTURE_ZKSIM_FEED={args.zk_feed} and IDCAPTURE_ZKFP_LIB pointing at the "
              "simulator library")
        return 0
    if args.livescan_feed:
        from ..sim.livescan import HEIGHT, WIDTH
        from ..sim.livescan import write_feed_file as write_livescan_feed

        n = write_livescan_feed(args.livescan_feed, FingerFeed(events, None, width=WIDTH,
                                                               height=HEIGHT))
        print(f"wrote {n} scripted frames; run the livescan driver with "
              f"IDCAPTURE_LSSIM_FEED={args.livescan_feed} and IDCAPTURE_LIVESCAN_LIB "
              "pointing at the simulator library")
        return 0
    from ..drivers.as608 import protocol as p
    from ..sim.as608 import As608Module, As608PtySimulator

    feed = FingerFeed(events, then, width=p.IMAGE_WIDTH, height=p.IMAGE_HEIGHT)
    params = p.SystemParameters(baud_multiplier=p.baud_multiplier(args.baud),
                                packet_size_code=p.packet_size_code(args.packet_size))
    sim = As608PtySimulator(As608Module(feed, params=params), pacing=not args.no_pacing,
                            link=args.link)
    with sim:
        print(json.dumps({"address": sim.address, "tty": sim.link or sim.port,
                          "baud": sim.module.baud}), flush=True)
        try:
            end = time.monotonic() + args.duration if args.duration else None
            while not sim.unplugged and (end is None or time.monotonic() < end):
                time.sleep(0.1)
        except KeyboardInterrupt:
            pass
    return 0


def register(commands: Commands) -> None:
    finger = commands.group("finger", help="fingerprint sensors")
    p = finger.add_parser("capture", help="capture one finger image from a sensor")
    p.add_argument("address", help="sensor address, e.g. as608:/dev/ttyUSB0 or zkfinger:0")
    p.add_argument("--finger", default="unknown", help="finger position (right-thumb, 6...)")
    p.add_argument("-o", "--output", required=True, help="image file to write (.png, .bmp...)")
    p.add_argument("--timeout", type=float, default=30.0, help="overall time limit (s)")
    p.add_argument("--retry", action="store_true",
                   help="keep asking for the finger again after a retry outcome")
    p.set_defaults(func=cmd_capture)
    sim = commands.group("sim", help="simulators")
    s = sim.add_parser("fingerprint", help="AS608 module simulator on a pty (or a ZKFinger "
                       "simulator feed file)")
    s.add_argument("--script", help="JSON event script (see docs/drivers/as608.md)")
    s.add_argument("--source", help="finger left on the sensor: synthetic:seed=N,style=S or "
                   "an image file")
    s.add_argument("--baud", type=int, default=57600, help="module baud rate")
    s.add_argument("--packet-size", type=int, default=128, help="data packet size")
    s.add_argument("--no-pacing", action="store_true", help="do not pace at the line rate")
    s.add_argument("--link", help="also make this symlink to the pty")
    s.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds")
    s.add_argument("--zk-feed", help="write the script as a ZKFinger simulator feed file "
                   "instead")
    s.add_argument("--livescan-feed", help="write the script as an ID_FprCap (livescan) "
                   "simulator feed file instead")
    s.set_defaults(func=cmd_sim)
