"""``idcapture province ...``: ingest station packages, find cross-school duplicates."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..errors import ConfigError
from ..i18n import N_
from ..privacy import mask_id_number
from . import Commands, fail, port_number, print_json, tr
from .progress import progress_for


def _passphrase(args: argparse.Namespace) -> str | None:
    if not args.passphrase_env:
        return None
    value = os.environ.get(args.passphrase_env)
    if not value:
        raise ConfigError(N_("environment variable {name} is empty").format(
            name=args.passphrase_env))
    return value


def cmd_ingest(args: argparse.Namespace) -> int:
    from ..province import IngestResult, Registry, ingest

    def report(r: IngestResult) -> None:
        # printed only after the package's transaction has committed
        line = f"{r.status} {r.package}"
        if r.status == "ingested":
            line += (f": {r.records} records from station {r.station_id}, "
                     f"{r.superseded} superseded, {r.extracted} thumbs extracted, "
                     f"{r.faces} faces")
        elif r.problems:
            line += ": " + "; ".join(r.problems)
        print(line, flush=True)

    with Registry(args.registry) as reg:
        if not reg.stations():
            print(tr(N_("warning: the registry lists no stations, so packages from any "
                        "station are ingested (idcapture province stations add ID=NAME ...)")),
                  file=sys.stderr)
        results = ingest(reg, args.packages, _passphrase(args), args.jobs, report,
                         faces=args.faces)
    return 1 if any(r.status == "refused" for r in results) else 0


def cmd_stations(args: argparse.Namespace) -> int:
    from ..province import Registry

    with Registry(args.registry) as reg:
        if args.action == "add":
            pairs = []
            for item in args.stations:
                sid, _, name = item.partition("=")
                pairs.append((sid, name))
            added = reg.add_stations(pairs)
            print(tr(N_("{count} stations added")).format(count=added), file=sys.stderr)
        elif args.action == "remove":
            for sid in args.stations:
                if not reg.remove_station(sid):
                    raise ConfigError(N_("no station {station} in the registry").format(
                        station=repr(sid[:64])), "station")
        listed = reg.stations()
    if args.json:
        print_json({"stations": listed})
    else:
        for sid, name in listed.items():
            print(f"{sid}\t{name}")
        if not listed:
            print(tr(N_("no stations listed: packages from any station are ingested")),
                  file=sys.stderr)
    return 0


def cmd_dedup(args: argparse.Namespace) -> int:
    from ..province import Registry, dedup
    from ..province.engine import make_engine

    engine = make_engine(args.engine, jobs=args.jobs, address=args.address,
                         workers=args.workers)
    with Registry(args.registry, create=False) as reg:
        with progress_for(args, "searching") as bar:
            rep = dedup(reg, full=args.full, false_clusters=args.false_clusters,
                        jobs=args.jobs, progress=bar.update, engine=engine,
                        faces=args.faces, face_clusters=args.face_clusters)
        clusters = reg.clusters()
        ids = {r.rid: r.id_number for r in reg.records(current_only=False)}
    if args.json:
        print_json({"report": rep.as_dict(), "clusters": clusters})
        return 0
    print(f"{rep.mode}: {rep.records} current records, {rep.probes} searched, fused "
          f"threshold {rep.threshold:.1f}; {rep.same_id_groups} same-ID groups, "
          f"{rep.biometric_matches} new biometric matches, {rep.face_matches} face "
          f"matches; {rep.clusters} clusters "
          f"({rep.seconds['total']:.1f} s)")
    for c in clusters:
        members = ", ".join(f"{r}:{mask_id_number(ids.get(r, ''))}" for r in c["members"])
        print(f"cluster {c['cluster']} [{','.join(c['kinds'])}]: {members}")
        for e in c["evidence"]:
            scores = [f"{t}={s}" for t, s in e.get("thumbs", {}).items()]
            if "face_score" in e:
                scores.append(f"face={e['face_score']} ({e['face']})")
            thumbs = " ".join(scores)
            print(f"  {e['kind']}: {e['stations'][0]}/{e['registration_numbers'][0]} ~ "
                  f"{e['stations'][1]}/{e['registration_numbers'][1]} {thumbs}".rstrip())
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from ..province.synthetic import synth_province

    kinds = None
    if args.kinds:
        kinds = {}
        for part in args.kinds.split(","):
            name, _, count = part.partition("=")
            if not count.strip().isdigit():
                raise ConfigError(N_("--kinds wants KIND=N,..., not {part}").format(
                    part=repr(part[:64])), "bad-province")
            kinds[name.strip()] = int(count)
    sp = synth_province(args.out, students=args.students, duplicates=args.duplicates,
                        stations=args.stations, seed=args.seed, kinds=kinds,
                        faces=args.faces, face_duplicates=args.face_duplicates)
    print(f"{sp.students} records in {len(sp.packages)} packages, planted "
          + ", ".join(f"{n} {k}" for k, n in sp.planted.items()) + f"; truth in {sp.truth}",
          file=sys.stderr)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..web.review import ReviewConfig, create_review_app
        from ..web.security import is_loopback
    except ImportError as exc:
        return fail(N_("the review pages need the 'web' extra (pip install "
                       "'idcapture[web]'): missing {name}").format(name=exc.name),
                    "ConfigError", "missing-extra")
    if not is_loopback(args.host):
        raise ConfigError(N_("refusing to serve on {host}: the review pages bind the "
                             "loopback interface (put a TLS reverse proxy in front of "
                             "127.0.0.1 to reach them from other machines)").format(
                                 host=args.host), "bind")
    from ..province import Registry
    from ..web.server import IDLE_TIMEOUT_S, IdleClosingH11Protocol

    Registry(args.registry, create=False).close()
    app = create_review_app(ReviewConfig(registry=args.registry,
                                         passphrase=_passphrase(args),
                                         language=args.language,
                                         hosts=tuple(args.server_name or ())))
    print(f"idcapture province review: http://{args.host}:{args.port}/", flush=True)
    print(f"access token: {app.state.auth.token}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                http=IdleClosingH11Protocol, timeout_keep_alive=IDLE_TIMEOUT_S)
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    from ..province import Registry
    from ..province.review import export_decisions

    with Registry(args.registry, create=False) as reg:
        rows = export_decisions(reg, args.out)
    if args.json:
        print_json({"out": str(args.out), "rows": rows})
    else:
        print(f"{rows} rows written to {args.out}")
    return 0


def register(commands: Commands) -> None:
    g = commands.group("province", help="the province: ingest station packages, "
                                        "cross-school duplicate checks")
    p = g.add_parser("ingest", help="verify and import station export packages")
    p.add_argument("packages", nargs="+", metavar="PACKAGE")
    p.add_argument("--registry", required=True, metavar="DIR")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="environment variable holding the packages' passphrase")
    p.add_argument("--jobs", type=int, default=0, help="extraction processes (0: all cores)")
    p.add_argument("--faces", action=argparse.BooleanOptionalAction, default=False,
                   help="also embed the faces of the packages' portraits for the face "
                        "search (default: off; 0.2-0.7 s of CPU a portrait)")
    p.set_defaults(func=cmd_ingest)
    p = g.add_parser("stations", help="list, add or remove the province's stations (once "
                                      "any is listed, packages from others are refused)")
    p.add_argument("action", choices=("list", "add", "remove"))
    p.add_argument("stations", nargs="*", metavar="ID[=NAME]")
    p.add_argument("--registry", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stations)
    p = g.add_parser("dedup", help="find the same ID and the same thumbs across schools")
    p.add_argument("--registry", required=True, metavar="DIR")
    p.add_argument("--full", action="store_true",
                   help="re-check every record, not only those ingested since the last run")
    p.add_argument("--false-clusters", type=float, default=1.0, metavar="N",
                   help="expected false biometric clusters over the province (default 1)")
    p.add_argument("--jobs", type=int, default=0,
                   help="embedded engine: worker processes (0: all cores)")
    p.add_argument("--engine", choices=("embedded", "ray"), default="embedded",
                   help="where the search runs (ray needs the province-ray extra)")
    p.add_argument("--address", metavar="HOST:PORT",
                   help="Ray cluster to join (default: a local Ray started for the run)")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="Ray engine: actors, each holding one shard of the province")
    p.add_argument("--faces", action=argparse.BooleanOptionalAction, default=True,
                   help="search the portraits' faces too (default: on, where ingested)")
    p.add_argument("--face-clusters", type=float, default=1.0, metavar="N",
                   help="expected false face-only clusters over the province (default 1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dedup)
    p = g.add_parser("synth", help="a synthetic province with planted duplicates")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--students", type=int, required=True)
    p.add_argument("--duplicates", type=int, default=0)
    p.add_argument("--stations", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--kinds", metavar="KIND=N,...",
                   help="planted duplicates per kind, e.g. biometric=1000,same-id=200 "
                        "(replaces --duplicates)")
    p.add_argument("--faces", metavar="DIR",
                   help="give students portraits from this folder of identity-labelled "
                        "photos (a file's person is its name up to the first _)")
    p.add_argument("--face-duplicates", type=int, default=0, metavar="K",
                   help="with --faces: plant K more duplicates on the face alone")
    p.set_defaults(func=cmd_synth)
    p = g.add_parser("review", help="serve the review pages: each cluster's evidence side "
                                    "by side, and the reviewer's decision")
    p.add_argument("--registry", required=True, metavar="DIR")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    p.add_argument("--port", type=port_number, default=8766, help="port (default 8766)")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="environment variable holding the packages' passphrase (to show "
                        "the images of encrypted packages)")
    p.add_argument("--server-name", action="append", metavar="NAME",
                   help="a host name the server is reached under (repeatable)")
    p.add_argument("--language", choices=("zh", "en"), default="zh")
    p.set_defaults(func=cmd_review)
    p = g.add_parser("decisions", help="write the reviewers' decisions as an .xlsx workbook")
    p.add_argument("out", type=Path, metavar="OUT.xlsx")
    p.add_argument("--registry", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_decisions)
