"""``idcapture read-id ADDRESS`` and ``idcapture sim id-reader``."""

from __future__ import annotations

import argparse
import json
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..privacy import mask_address, mask_id_number, mask_name
from ..record import IdentityDocument
from . import Commands, print_json


def document_dict(doc: IdentityDocument, unmask: bool = False) -> dict[str, Any]:
    """The document as a JSON-able dict; names, ID number and addresses masked unless
    ``unmask``."""
    def addr(a: str | None) -> str | None:
        return a if unmask or a is None else mask_address(a)

    def name(n: str | None) -> str | None:
        return n if unmask or n is None else mask_name(n)

    return {
        "kind": doc.kind.value, "name": name(doc.name), "name_en": name(doc.name_en),
        "sex": doc.sex.value, "ethnicity_code": doc.ethnicity_code,
        "ethnicity": doc.ethnicity, "nationality_code": doc.nationality_code,
        "nationality": doc.nationality,
        "birth_date": doc.birth_date.isoformat() if doc.birth_date else None,
        "address": addr(doc.address),
        "id_number": doc.id_number if unmask else mask_id_number(doc.id_number),
        "issuing_authority": doc.issuing_authority,
        "valid_from": doc.valid_from.isoformat() if doc.valid_from else None,
        "valid_until": doc.valid_until.isoformat() if doc.valid_until else None,
        "long_term": doc.long_term,
        "appended_addresses": [addr(a) for a in doc.appended_addresses],
        "extra": dict(doc.extra), "photo_status": doc.photo_status.value,
        "raw_blocks": {k: v.size_bytes for k, v in doc.raw_blocks.items()},
        "source_driver": doc.source_driver,
    }


def cmd_read_id(args: argparse.Namespace) -> int:
    from .. import open_id_reader

    if str(args.address or "").startswith("pcsc:"):
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
