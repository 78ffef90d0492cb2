"""eMRTD commands: the ``--mrz/--doc/--birth/--expiry`` options of ``idcapture read-id`` for
``pcsc:`` addresses, and ``idcapture sim emrtd --config FILE``.

::

    idcapture read-id pcsc:0 --mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<...<<<<<10' --json
    idcapture read-id pcsc:0 --doc L898902C3 --birth 740812 --expiry 120415 --trust csca/
    idcapture sim emrtd --config passport.json --port 35963
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import N_
from . import Commands, port_number, print_json

__all__ = ["add_read_options", "cmd_read_emrtd", "cmd_sim_emrtd", "register"]


def add_read_options(p: argparse.ArgumentParser) -> None:
    """Add the eMRTD access-key options to the ``read-id`` parser."""
    g = p.add_argument_group("electronic passports (pcsc: addresses)")
    g.add_argument("--mrz", help="the machine-readable zone (TD1/TD2/TD3) as one string")
    g.add_argument("--doc", help="document number (instead of --mrz)")
    g.add_argument("--birth", help="date of birth YYMMDD (instead of --mrz)")
    g.add_argument("--expiry", help="date of expiry YYMMDD (instead of --mrz)")
    g.add_argument("--trust", action="append",
                   help="country signing certificate file or folder (repeatable) for "
                        "passive authentication")


def cmd_read_emrtd(args: argparse.Namespace) -> int:
    """``read-id pcsc:...``: read an eMRTD and print the document and its checks."""
    from ..drivers.emrtd.driver import PcscEmrtdReader
    from ..drivers.emrtd.session import AccessKey
    from ..plugins import get_registry
    from .documents import document_dict

    mrz = getattr(args, "mrz", None)
    fields = [getattr(args, n, None) for n in ("doc", "birth", "expiry")]
    if mrz:
        key = AccessKey.from_mrz(mrz)
    elif all(fields):
        key = AccessKey.from_fields(*[str(f) for f in fields])
    else:
        raise ConfigError(N_("reading a passport needs --mrz, or all of --doc, --birth and "
                             "--expiry"))
    reader = get_registry().open(args.address, None, args.timeout)
    if not isinstance(reader, PcscEmrtdReader):
        reader.close()
        raise ConfigError(N_("{address} is not an eMRTD reader").format(
            address=repr(args.address)))
    with reader:
        if args.trust:
            from ..drivers.emrtd.passive_auth import TrustStore

            reader.trust = TrustStore.load(*args.trust)
        reader.set_access_key(key)
        if args.wait:
            reader.wait_for_card(args.timeout)
        else:
            reader.read(args.timeout)
        reading = reader.last_reading
        assert reading is not None
        record = reading.to_record(reader.driver_name or "pcsc")
    assert record.identity is not None
    d: dict[str, Any] = document_dict(record.identity, args.unmask)
    if not args.unmask:
        d["extra"].pop("mrz", None)
    d["checks"] = {c.name: {"outcome": c.outcome.value, "message": c.message,
                            "result": c.details.get("result")} for c in record.checks}
    if record.identity.photo is not None:
        ph = record.identity.photo
        d["photo"] = {"media_type": ph.media_type, "width_px": ph.width_px,
                      "height_px": ph.height_px, "size_bytes": ph.size_bytes}
    if args.json:
        print_json(d)
        return 0
    for key_name, value in d.items():
        if value not in (None, [], {}, ""):
            print(f"{key_name:<19} {value}")
    return 0


def cmd_sim_emrtd(args: argparse.Namespace) -> int:
    """Serve a simulated eMRTD into a vpcd slot until SIGTERM or Ctrl-C."""
    from ..sim.emrtd.config import card_from_config
    from ..sim.emrtd.vpcd import VpcdCardServer

    card = card_from_config(Path(args.config))
    if args.bit_rate is not None or args.chip_ms is not None:
        from ..sim.emrtd.link import Link

        base = card.link or Link()
        card.link = Link(args.bit_rate or base.bit_rate,
                         base.chip_s if args.chip_ms is None else args.chip_ms / 1000,
                         base.frame_size)
    if args.write_csca:
        from cryptography.hazmat.primitives.serialization import Encoding

        Path(args.write_csca).write_bytes(card.pki.csca_cert.public_bytes(Encoding.PEM))
    server = VpcdCardServer(card, args.host, args.port).start()
    print(json.dumps({"port": args.port, "host": args.host,
                      "data_groups": sorted(card.groups),
                      "link": (None if card.link is None else
                               {"bit_rate": card.link.bit_rate,
                                "chip_ms": card.link.chip_s * 1000}),
                      "csca": args.write_csca}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def register(commands: Commands) -> None:
    s = commands.group("sim", "run simulators").add_parser(
        "emrtd", help="serve a simulated electronic passport in a vpcd virtual reader")
    s.add_argument("--config", required=True, help="card file (JSON: mrz, face, pki, faults)")
    s.add_argument("--port", type=port_number, default=35963,
                   help="vpcd port of the slot (35963 = 'Virtual PCD 00 00')")
    s.add_argument("--host", default="localhost", help="host where pcscd/vpcd runs")
    s.add_argument("--write-csca", metavar="FILE",
                   help="write the card's country signing certificate (PEM) here")
    s.add_argument("--bit-rate", type=int, choices=(106, 212, 424, 848), default=None,
                   help="pace the card on an ISO/IEC 14443 link of this many kbit/s "
                        "(overrides the card file's link)")
    s.add_argument("--chip-ms", type=float, default=None,
                   help="with a paced link: the chip's time per APDU in ms")
    s.set_defaults(func=cmd_sim_emrtd)
