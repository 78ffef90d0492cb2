"""``idcapture station serve``: the reference web frontend on this machine.

It binds the loopback interface. Any other address is refused unless the operator
passes ``--allow-remote`` *and* a TLS certificate and key (the token and session cookie
never cross a network in clear), and the simulator controls are never served off
loopback. ``--server-name`` adds a name the server answers to (the Host header check).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import N_
from . import Commands, fail, port_number, tr

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


def _check_bind(args: argparse.Namespace, sim_control: bool) -> tuple[str, str] | None:
    """The TLS certificate and key files for a remote bind, or ``None`` on loopback;
    refuses an unsafe bind with a :class:`ConfigError`."""
    from ..errors import ConfigError
    from ..web.security import is_loopback

    if is_loopback(args.host):
        return None
    if not args.allow_remote:
        raise ConfigError(N_("refusing to serve on {host}: the station frontend binds the "
                             "loopback interface; to serve other machines pass --allow-remote "
                             "with --tls-cert and --tls-key (or put a TLS reverse proxy on "
                             "this machine in front of 127.0.0.1)").format(host=args.host),
                          "bind")
    if sim_control:
        raise ConfigError(N_("the simulator controls (--sim, --sim-control) are served on "
                             "loopback only"), "bind")
    if not (args.tls_cert and args.tls_key):
        raise ConfigError(N_("--allow-remote needs --tls-cert and --tls-key: the access token "
                             "and session cookie must not cross the network in clear"), "bind")
    for path in (args.tls_cert, args.tls_key):
        if not Path(path).is_file():
            raise ConfigError(N_("TLS file {name} not found").format(
                name=repr(Path(path).name)), "bind")
    return str(args.tls_cert), str(args.tls_key)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..web import WebConfig, create_app
        from ..web.security import is_loopback
    except ImportError as exc:
        return fail(N_("the web frontend needs the 'web' extra (pip install "
                       "'idcapture[web]'): missing {name}").format(name=exc.name),
                    "ConfigError", "missing-extra")
    store = Path(args.store)
    addresses = dict(SIM_ADDRESSES) if args.sim else {}
    for role in ("reader", "camera", "sensor"):
        value = getattr(args, role)
        if value:
            addresses[role] = value
    if not (store / "station.sqlite3").exists():
        if not args.sim:
            return fail(N_("no station store in {folder} (create one with the station "
                           "commands, or use --sim for a sample store)").format(folder=store),
                        "ConfigError", "no-store")
        _sample_store(store, args.sample_students)
        print(tr(N_("created a sample station store with {count} made-up students in "
                    "{folder}")).format(count=args.sample_students, folder=store))
    from ..station.store_lock import StoreLock

    # one writer per store: refused here, before the server starts, if another program
    # changes this store (the app's own opening of the store shares this lock)
    writer = StoreLock(store).acquire()
    try:
        from .station_cmd import open_store

        open_store(store, writer=True).close()  # an encrypted store's passphrase, once
        # with --sim the simulator controls come on by themselves (each answers 409 for a
        # role whose device is not a simulator); --sim-control alone turns them on for tests
        sim_control = bool(args.sim or args.sim_control)
        tls = _check_bind(args, sim_control)
        hosts = tuple(args.server_name or ())
        if not is_loopback(args.host) and args.host not in ("0.0.0.0", "::"):
            hosts += (args.host,)
        config = WebConfig(store=store, addresses=addresses, sim_control=sim_control,
                           language=args.language, hosts=hosts,
                           finger_algorithm=args.finger_algorithm)
        app = create_app(config)
        token = app.state.auth.token
        scheme = "https" if tls else "http"
        print(tr(N_("idcapture station frontend: {url}")).format(
            url=f"{scheme}://{args.host}:{args.port}/"), flush=True)
        print(tr(N_("access token: {token}")).format(token=token), flush=True)
        if args.sim:
            print(tr(N_("simulated devices: the Capture page has a Simulator panel to place "
                        "cards and present fingers")), flush=True)
        elif sim_control:
            print(tr(N_("WARNING: simulator control endpoints are enabled (for tests only)")),
                  flush=True)
        from ..web.server import IDLE_TIMEOUT_S, IdleClosingH11Protocol

        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                    ws="websockets", http=IdleClosingH11Protocol,
                    timeout_keep_alive=IDLE_TIMEOUT_S, ssl_certfile=tls[0] if tls else None,
                    ssl_keyfile=tls[1] if tls else None)
        return 0
    finally:
        writer.release()


def register(commands: Commands) -> None:
    p = commands.group("station").add_parser(
        "serve", help="run the station's web frontend (local, token-protected)")
    p.add_argument("--store", required=True, help="the station store folder")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; "
                   "another needs --allow-remote and TLS)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow binding a non-loopback address (needs --tls-cert, --tls-key)")
    p.add_argument("--tls-cert", type=Path, help="TLS certificate (PEM) for --allow-remote")
    p.add_argument("--tls-key", type=Path, help="TLS private key (PEM) for --allow-remote")
    p.add_argument("--server-name", action="append", metavar="NAME",
                   help="a host name the server is reached under (repeatable)")
    p.add_argument("--port", type=port_number, default=8765, help="port (default 8765)")
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
