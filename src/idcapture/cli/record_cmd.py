"""``idcapture record validate|show``."""

from __future__ import annotations

import argparse

from ..errors import RecordError
from ..formats.record_files import load
from ..formats.record_json import to_dict
from ..privacy import mask_address, mask_id_number, mask_name
from . import Commands, print_json


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        rec = load(args.file)
    except RecordError as exc:
        if args.json:
            print_json({"valid": False, "path": exc.path, "error": exc.reason})
        else:
            print(f"invalid: {exc}")
        return 1
    if args.json:
        print_json({"valid": True, "record_id": rec.record_id,
                    "schema_version": rec.schema_version})
    else:
        print(f"valid: record {rec.record_id} (schema {rec.schema_version}, "
              f"{len(rec.blobs)} blobs verified)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    rec = load(args.file)
    d = to_dict(rec)
    ident = d.get("identity")
    if ident and not args.unmask:
        ident["id_number"] = mask_id_number(ident.get("id_number"))
        ident["name"] = mask_name(ident.get("name"))
        if ident.get("name_en"):
            ident["name_en"] = mask_name(ident["name_en"])
        if ident.get("address"):
            ident["address"] = mask_address(ident["address"])
        ident["appended_addresses"] = [mask_address(a) for a in ident["appended_addresses"]]
    subject = d.get("subject")
    if subject and not args.unmask and subject.get("roster_id"):
        subject["roster_id"] = mask_id_number(subject["roster_id"])
    if args.json:
        print_json(d)
        return 0
    print(f"record   {rec.record_id}  status={rec.status.value}  schema={rec.schema_version}")
    print(f"created  {d['created_at']}  station={rec.station.station_id or '-'} "
          f"operator={rec.station.operator or '-'}")
    if ident:
        print(f"identity {ident['kind']}  {ident['name']}  {ident['id_number']}  "
              f"sex={ident['sex']}  birth={ident.get('birth_date', '-')}")
    if rec.portrait:
        q = rec.portrait.quality
        print(f"portrait {rec.portrait.image.width_px}x{rec.portrait.image.height_px} "
              f"profile={rec.portrait.profile} quality={q.score if q else '-'}")
    for f in rec.fingers:
        q = f.quality
        print(f"finger   {f.position.slug:<12} {f.image.width_px}x{f.image.height_px} "
              f"{f.resolution_ppi} ppi quality={q.score if q else '-'} "
              f"minutiae={f.minutiae_count if f.minutiae_count is not None else '-'}")
    for c in rec.checks:
        print(f"check    {c.name:<24} {c.outcome.value:<12} {c.message}")
    return 0


def register(commands: Commands) -> None:
    g = commands.group("record", help="CaptureRecord files")
    p = g.add_parser("validate", help="validate a record file or folder against the schema")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_validate)
    p = g.add_parser("show", help="print a record (personal data masked)")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--unmask", action="store_true", help="show personal data in clear")
    p.set_defaults(func=cmd_show)
