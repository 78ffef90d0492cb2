"""``idcapture station serve``: the reference web frontend on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import Commands

SIM_ADDRESSES = {"reader": "sim:id-reader?card=none&poll=0.01",
                 "camera": "sim:camera?fps=30&photo=demo",
                 "sensor": "sim:fingerprint?finger=none&poll=0.02"}


def _sample_store(folder: Path, students: int) -> None:
    """A new store with a made-up roster, registered (for ``--sim`` on an empty folder)."""
    import datetime as _dt
    import tempfile

    from ..formats.roster import write_roster
    from ..station import StationConfig, Store, import_roster, register_students
    from ..synth.students import sample_students

    cfg = StationConfig(station_id="web-demo-01", year=_dt.date.today().year, region="440106")
    with Store.create(folder, {"config": cfg.to_json()}) as store, \
            tempfile.TemporaryDirectory() as tmp:
        roster = write_roster(Path(tmp) / "roster.xlsx", sample_students(students, seed=2025))
        import_roster(store, roster, operator="setup")
        register_students(store, operator="setup")


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..web import WebConfig, create_app
    except ImportError as exc:
        print(f"idcapture: error: the web frontend needs the 'web' extra "
              f"(pip install 'idcapture[web]'): missing {exc.name}", file=sys.stderr)
        return 1
    store = Path(args.store)
    addresses = dict(SIM_ADDRESSES) if args.sim else {}
    for role in ("reader", "camera", "sensor"):
        value = getattr(args, role)
        if value:
            addresses[role] = value
    if not (store / "station.sqlite3").exists():
        if not args.sim:
            print(f"idcapture: error: no station store in {store} (create one with the "
                  "station commands, or use --sim for a sample store)", file=sys.stderr)
            return 1
        _sample_store(store, args.sample_students)
        print(f"created a sample station store with {args.sample_students} made-up students "
              f"in {store}")
    # with --sim the simulator controls come on by themselves (each answers 409 for a
    # role whose device is not a simulator); --sim-control alone turns them on for tests
    sim_control = bool(args.sim or args.sim_control)
    config = WebConfig(store=store, addresses=addresses, sim_control=sim_control,
                       language=args.language, finger_algorithm=args.finger_algorithm)
    app = create_app(config)
    token = app.state.auth.token
    print(f"idcapture station frontend: http://{args.host}:{args.port}/", flush=True)
    print(f"access token: {token}", flush=True)
    if args.sim:
        print("simulated devices: the Capture page has a Simulator panel to place cards "
              "and present fingers", flush=True)
    elif sim_control:
        print("WARNING: simulator control endpoints are enabled (for tests only)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                ws="websockets")
    return 0


def register(commands: Commands) -> None:
    p = commands.group("station").add_parser(
        "serve", help="run the station's web frontend (local, token-protected)")
    p.add_argument("--store", required=True, help="the station store folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--sim", action="store_true",
                   help="use the in-process simulators with their controls on the Capture page "
                        "(and create a sample store if none)")
    p.add_argument("--reader", help="ID-reader address (e.g. sam-serial:/dev/ttyUSB0)")
    p.add_argument("--camera", help="camera address (e.g. opencv:0)")
    p.add_argument("--sensor", help="fingerprint-sensor address")
    p.add_argument("--finger-algorithm", metavar="ADDRESS", default=None,
                   help="fingerprint algorithm of the card-fingerprint check, e.g. 'idfpr:' "
                   "(default: the station's finger_algorithm setting; 'none': no check)")
    p.add_argument("--language", choices=("zh", "en"), default="zh",
                   help="default page language")
    p.add_argument("--sample-students", type=int, default=40, help=argparse.SUPPRESS)
    p.add_argument("--sim-control", action="store_true",
                   help="TEST ONLY: enable endpoints that drive the simulators "
                        "(implied by --sim)")
    p.set_defaults(func=cmd_serve)
