"""``idcapture read-id ADDRESS`` and ``idcapture sim id-reader``."""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import threading
from pathlib import Path

from . import Commands, print_json
from .documents import document_dict


def _is_emrtd_reader(address: str) -> bool:
    """Whether the registry's driver for ``address`` reads eMRTDs (passports), which need
    an access key; a driver that cannot load here is left to fail when opened."""
    from ..address import parse_address
    from ..devices.base import DeviceKind
    from ..errors import AddressError, DriverUnavailable
    from ..plugins import get_registry

    try:
        addr = parse_address(address)
        cls = get_registry().find(addr.driver, DeviceKind.ID_READER, addr.target).load()
        from ..drivers.emrtd.driver import PcscEmrtdReader
    except (AddressError, DriverUnavailable, ImportError):
        return False
    return issubclass(cls, PcscEmrtdReader)


def cmd_read_id(args: argparse.Namespace) -> int:
    from .. import open_id_reader

    if args.address and _is_emrtd_reader(args.address):
        from .emrtd_cmd import cmd_read_emrtd

        return cmd_read_emrtd(args)

    with open_id_reader(args.address, timeout=args.timeout) as reader:
        doc = reader.wait_for_card(args.timeout) if args.wait else reader.read(args.timeout)
    d = document_dict(doc, args.unmask)
    from ..drivers.sam.document import document_checks

    d["checks"] = {c.name: {"outcome": c.outcome.value, "message": c.message}
                   for c in document_checks(doc)}
    if args.json:
        print_json(d)
        return 0
    for key, value in d.items():
        if value not in (None, [], {}, ""):
            print(f"{key:<19} {value}")
    return 0


def cmd_sim_id_reader(args: argparse.Namespace) -> int:
    from ..sim.sam.cards import load_card, sample_card_paths
    from ..sim.sam.device import SamDevice
    from ..sim.sam.server import ControlServer, PtySamServer, run_script

    device = SamDevice(baud=args.baud, fingerprint_authorised=not args.no_fingerprint)
    cards = [load_card(c) for c in args.card] if args.card else []
    if args.sample:
        cards = [load_card(p) for p in sample_card_paths()]
    if cards:
        device.place_card(cards[0])
    for f in args.fault or []:
        device.add_fault(json.loads(f))
    link = args.link or None
    server = PtySamServer(device, pace=not args.no_pace, link=link).start()
    ctl_path = args.control or str(Path(tempfile.gettempdir()) / f"idcapture-sam-{id(server)}"
                                   ".sock")
    control = ControlServer(server, ctl_path)
    print(json.dumps({"tty": server.path, "control": ctl_path, "baud": device.baud,
                      "card": cards[0].source if cards else None}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    if args.script:
        steps = json.loads(Path(args.script).read_text(encoding="utf-8"))
        threading.Thread(target=run_script, args=(server, steps, stop), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        control.close()
        server.stop()
    return 0


def register(commands: Commands) -> None:
    p = commands.top.add_parser("read-id", help="read an identity card and print it")
    p.add_argument("address", nargs="?", default=None,
                   help="reader address (default $IDCAPTURE_ID_READER), e.g. "
                        "sam-serial:/dev/ttyUSB0")
    p.add_argument("--wait", action="store_true",
                   help="wait for a newly placed card (not one already read)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a card")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--unmask", action="store_true",
                   help="print the names, ID number and addresses in clear")
    p.set_defaults(func=cmd_read_id)
    from .emrtd_cmd import add_read_options

    add_read_options(p)
    s = commands.group("sim", "run simulators").add_parser(
        "id-reader", help="serve a simulated SAM_V reader on a pseudo-terminal")
    s.add_argument("--card", action="append", help="card data file (JSON); first is placed")
    s.add_argument("--sample", action="store_true", help="use the shipped sample cards")
    s.add_argument("--baud", type=int, default=115200, help="the SAM's line rate")
    s.add_argument("--no-pace", action="store_true", help="do not pace output at the rate")
    s.add_argument("--no-fingerprint", action="store_true",
                   help="the SAM is not authorised to read fingerprints")
    s.add_argument("--fault", action="append", help='a fault as JSON, e.g. '
                   '\'{"action": "bad-checksum", "on": "read"}\'')
    s.add_argument("--script", help="JSON file of timed steps (place/remove/fault/...)")
    s.add_argument("--control", help="Unix socket path for JSON-line control commands")
    s.add_argument("--link", help="a symlink kept pointing at the tty (survives replug)")
    s.set_defaults(func=cmd_sim_id_reader)
