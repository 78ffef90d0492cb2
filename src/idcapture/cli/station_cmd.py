"""``idcapture station ...``: the capture station, headless."""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_
from . import Commands, print_json, tr, tr_value
from .progress import progress_for

if TYPE_CHECKING:
    from ..station import Store
    from ..station.export import VerifyReport


def _store(args: argparse.Namespace, writer: bool = False) -> Store:
    """The store of ``--store``; a command that changes it opens it as the ``writer``
    (one at a time: another writer's pid and host are named)."""
    return open_store(args.store, writer)


def open_store(folder: str | Path, writer: bool = False) -> Store:
    """Open a store; an encrypted one's passphrase comes from
    ``IDCAPTURE_STORE_PASSPHRASE`` or is asked on the terminal."""
    from ..errors import ConfigError
    from ..station import Store

    try:
        return Store.open(folder, writer=writer)
    except ConfigError as exc:
        if exc.code != "passphrase-needed":
            raise
        return Store.open(folder, writer=writer,
                          passphrase=_ask(N_("store passphrase: "), confirm=False))


def _ask(prompt: str, confirm: bool) -> str:
    """A passphrase from the terminal (``ConfigError`` ``no-terminal`` without one)."""
    from ..errors import ConfigError

    try:
        if not _has_terminal():
            raise EOFError
        first = getpass.getpass(tr(prompt))
        if confirm and getpass.getpass(tr(N_("again: "))) != first:
            raise ConfigError(N_("the passphrases differ"))
    except EOFError:
        raise ConfigError(N_("no terminal to ask for the passphrase on: give it in the "
                             "environment (--passphrase-env VAR for a package, "
                             "IDCAPTURE_STORE_PASSPHRASE for the store)"),
                          "no-terminal") from None
    return first


def _new_store_passphrase() -> str:
    from ..station.store_crypto import PASSPHRASE_ENV

    return os.environ.get(PASSPHRASE_ENV) or _ask(N_("new store passphrase: "), confirm=True)


def cmd_init(args: argparse.Namespace) -> int:
    from ..station import StationConfig, Store

    cfg = StationConfig.load(args.config) if args.config else StationConfig()
    for key in ("station_id", "region", "registration_pattern"):
        value = getattr(args, key)
        if value:
            setattr(cfg, key, value)
    if args.year:
        cfg.year = args.year
    cfg = StationConfig.from_json(cfg.to_json())  # validate the combination
    passphrase = _new_store_passphrase() if args.encrypt_store else None
    Store.create(args.store, {"config": cfg.to_json()}, passphrase=passphrase).close()
    print(tr(N_("station store created in {folder} (encrypted at rest)") if passphrase else
             N_("station store created in {folder}")).format(folder=args.store))
    return 0


def cmd_encrypt_store(args: argparse.Namespace) -> int:
    """Encrypt a clear store in place (or finish an interrupted encryption)."""
    from ..station import Store

    passphrase = _new_store_passphrase()
    with Store.open(args.store, writer=True, passphrase=passphrase) as store:
        count = store.encrypt(passphrase)
    print(tr(N_("station store {folder} is encrypted at rest ({count} image files encrypted "
                "now)")).format(folder=args.store, count=count))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..station import import_roster

    with _store(args, writer=True) as store, progress_for(args, "rows read") as bar:
        rep = import_roster(store, args.roster, args.mapping, operator=args.operator,
                            progress=bar.update)
    if args.json:
        print_json(rep.as_dict())
    else:
        print(tr(N_("{source}: {added} added, {updated} updated, {unchanged} unchanged, "
                    "{rejected} rows rejected")).format(
            source=rep.source, added=rep.added, updated=rep.updated, unchanged=rep.unchanged,
            rejected=rep.rejected_rows))
        for p in rep.rejected:
            print(f"  {tr(str(p))}")
    return 0 if rep.rejected_rows == 0 else 1


def _day(text: str | None) -> _dt.date | None:
    return _dt.date.fromisoformat(text) if text else None


def cmd_register(args: argparse.Namespace) -> int:
    from ..station import register_students

    with _store(args, writer=True) as store:
        rep = register_students(store, args.id_number or None, school_code=args.school,
                                operator=args.operator, day=_day(args.date))
    if args.json:
        print_json(rep.as_dict())
    else:
        print(tr(N_("{new} registered, {existing} already registered, {missing} not on the "
                    "roster")).format(new=len(rep.new), existing=len(rep.existing),
                                      missing=len(rep.not_on_roster)))
    return 0 if not rep.not_on_roster else 1


def cmd_capture(args: argparse.Namespace) -> int:
    from .. import open_camera, open_fingerprint_sensor, open_id_reader
    from ..station.card_fingerprint import station_checker
    from ..station.runner import Devices, Policy, run_capture
    from ..station.session import CaptureSession, SessionState
    from ..station.steps import Steps

    with _store(args, writer=True) as store, open_id_reader(args.reader) as r, \
            open_camera(args.camera) as c, open_fingerprint_sensor(args.sensor) as f, \
            contextlib.ExitStack() as stack:
        checker = station_checker(store, args.finger_algorithm)
        if checker is not None:
            stack.callback(checker.algorithm.close)
        steps = Steps(card_fingerprint=checker)
        if args.resume:
            session = CaptureSession.resume(store, args.resume, steps)
        elif args.correct:
            session = CaptureSession.correction(store, args.correct, args.step, args.operator,
                                                args.reason, steps)
        else:
            session = CaptureSession.start(store, args.operator, steps, day=_day(args.date))
        policy = Policy(accept_mismatch=args.accept_mismatch,
                        manual_portrait=args.manual_portrait,
                        keep_low_quality=args.keep_low_quality,
                        accept_card_fingerprint=args.accept_card_fingerprint)
        last = run_capture(session, Devices(r, c, f), policy=policy, timeout=args.timeout,
                           on_prompt=lambda p: print(f"[{tr_value('step', p.state.value)}] "
                                                     f"{tr(p.message)}"))
    return 0 if last.state is SessionState.SAVED else 1


def cmd_sessions(args: argparse.Namespace) -> int:
    """List unfinished capture sessions (to resume with ``capture --resume``)."""
    with _store(args) as store:
        found = store.open_sessions()
    if args.json:
        print_json([{"session_id": o.session_id, "state": o.state, "operator": o.operator,
                     "id_number": o.id_number, "updated_at": o.updated_at.isoformat(),
                     "age_s": round(o.age_s)} for o in found])
    else:
        print(tr(N_("{count} unfinished capture sessions")).format(count=len(found)))
        for o in found:
            print(f"  {o.session_id}  {o.state:<12} {o.id_number or '-':<20} "
                  f"{o.operator}  " + tr(N_("{seconds} s ago")).format(seconds=round(o.age_s)))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ..station.checking import check_station

    with _store(args) as store:
        rep = check_station(store, strict=args.strict)
    if args.json:
        print_json(rep.as_dict())
    else:
        for line in rep.lines(verbose=args.verbose_report):
            print(tr(line))
    return 0 if rep.blocked == 0 and not rep.not_captured else 1


def _has_terminal() -> bool:
    """Whether a passphrase can be asked without echo (a controlling terminal)."""
    if os.name != "posix":
        return True
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def _passphrase(args: argparse.Namespace, confirm: bool) -> str | None:
    if args.passphrase_env:
        value = os.environ.get(args.passphrase_env)
        if not value:
            from ..errors import ConfigError
            raise ConfigError(N_("environment variable {name} is empty").format(
                name=args.passphrase_env))
        return value
    if args.encrypt:
        return _ask(N_("passphrase: "), confirm)
    return None


def cmd_export(args: argparse.Namespace) -> int:
    from ..station.export import export_package

    passphrase = _passphrase(args, confirm=True)
    with _store(args, writer=True) as store, progress_for(args, "exporting") as bar:
        rep = export_package(store, args.out, profile=args.profile, force=args.force,
                             passphrase=passphrase, operator=args.operator,
                             progress=bar.update)
    if args.json:
        print_json({**rep.as_dict(), "path": os.path.abspath(rep.package)})
    else:
        done = (N_("{count} records exported to {package} ({files} files, {seconds} s) "
                   "encrypted; {left_out} left out") if rep.encrypted else
                N_("{count} records exported to {package} ({files} files, {seconds} s); "
                   "{left_out} left out"))
        print(tr(done).format(count=rep.exported, package=rep.package, files=rep.files,
                              seconds=f"{rep.seconds:.1f}", left_out=len(rep.left_out)))
        for lo in rep.left_out:
            print(f"  {lo['registration_number']} {lo['id_number']}: "
                  f"{'; '.join(tr(r) for r in lo['reasons'])}")
    return 0


def _verified(args: argparse.Namespace) -> VerifyReport:
    """``args.package`` checked against its manifest (an encrypted one's passphrase from
    ``--passphrase-env`` or the terminal)."""
    from ..station.export import is_encrypted, verify_package

    passphrase = None
    if Path(args.package).is_file() and is_encrypted(args.package):
        args.encrypt = True
        passphrase = _passphrase(args, confirm=False)
    return verify_package(args.package, passphrase)


def cmd_verify(args: argparse.Namespace) -> int:
    rep = _verified(args)
    if args.json:
        print_json(rep.as_dict())
    else:
        print(tr(N_("{package}: OK ({files} files checked, {records} records)") if rep.ok else
                 N_("{package}: FAILED ({files} files checked, {records} records)")).format(
            package=rep.package, files=rep.files_checked, records=rep.records))
        for p in rep.problems:
            print(f"  {tr(p)}")
    return 0 if rep.ok else 1


def cmd_confirm_export(args: argparse.Namespace) -> int:
    """Record the exam authority's confirmation of a package this store wrote."""
    rep = _verified(args)
    if not rep.ok:
        print(tr(N_("{package}: FAILED verification, not confirmed")).format(
            package=rep.package), file=sys.stderr)
        for p in rep.problems:
            print(f"  {tr(p)}", file=sys.stderr)
        return 1
    with _store(args, writer=True) as store:
        count = store.confirm_export(rep.manifest_sha256, args.operator, args.receipt)
    print(tr(N_("{package}: confirmed by the exam authority ({count} records); 'station "
                "purge' may now remove their personal data")).format(package=rep.package,
                                                                     count=count))
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Remove the personal data of the records in confirmed exports."""
    with _store(args, writer=True) as store:
        rep = store.purge(args.operator)
    if args.json:
        print_json(rep.as_dict())
        return 0
    print(tr(N_("purged {students} students: {versions} record versions emptied, {files} "
                "image and template files ({size} MB) and {sessions} finished sessions "
                "removed")).format(students=rep.students, versions=rep.versions,
                                   files=rep.blob_files, size=f"{rep.blob_bytes / 1e6:.1f}",
                                   sessions=rep.sessions))
    print(tr(N_("kept:")))
    for line in rep.kept:
        print(f"  {tr(line)}")
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    """Decrypt an encrypted package into a plain ZIP (the exam authority's side)."""
    from ..station.export import decrypt_package

    out = Path(args.out)
    args.encrypt = True
    passphrase = _passphrase(args, confirm=False)
    assert passphrase is not None
    part = out.with_name(out.name + ".part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            decrypt_package(args.package, fh, passphrase)
        os.replace(part, out)
    finally:
        with contextlib.suppress(OSError):
            part.unlink()
    size = out.stat().st_size
    if args.json:
        print_json({"package": os.path.abspath(args.package), "path": os.path.abspath(out),
                    "bytes": size})
    else:
        print(tr(N_("decrypted {package} into {file} ({size} bytes)")).format(
            package=args.package, file=out, size=size))
    return 0


def register(commands: Commands) -> None:
    g = commands.group("station", help="the roster-first capture station")

    def common(p: argparse.ArgumentParser, json_out: bool = True) -> None:
        p.add_argument("--store", default="station", help="station store folder "
                       "(default ./station)")
        p.add_argument("--operator", default=os.environ.get("USER", "operator"),
                       help="who is acting (written to the audit log)")
        if json_out:
            p.add_argument("--json", action="store_true", help="machine-readable output")

    p = g.add_parser("init", help="create a station store")
    common(p, json_out=False)
    p.add_argument("--config", help="station configuration file (JSON)")
    p.add_argument("--station-id", dest="station_id")
    p.add_argument("--region", help="6-digit region code used in registration numbers")
    p.add_argument("--year", type=int)
    p.add_argument("--registration-pattern", dest="registration_pattern",
                   help="e.g. '{yy}{region}{school:4}{seq:4}'")
    p.add_argument("--encrypt-store", action="store_true",
                   help="encrypt the store at rest (passphrase from "
                   "$IDCAPTURE_STORE_PASSPHRASE or asked)")
    p.set_defaults(func=cmd_init)

    p = g.add_parser("encrypt-store", help="encrypt an existing store at rest, in place "
                     "(passphrase from $IDCAPTURE_STORE_PASSPHRASE or asked)")
    common(p, json_out=False)
    p.set_defaults(func=cmd_encrypt_store)

    p = g.add_parser("import-roster", help="import a roster (.xlsx or .csv)")
    common(p)
    p.add_argument("roster")
    p.add_argument("--mapping", help="column mapping: a built-in name or a .json file")
    p.set_defaults(func=cmd_import)

    p = g.add_parser("register", help="allocate exam registration numbers")
    common(p)
    p.add_argument("id_number", nargs="*", help="students to register (default: all)")
    p.add_argument("--school", help="only this school code")
    p.add_argument("--date", help="act as if today were this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_register)

    p = g.add_parser("capture", help="run one capture session on the devices")
    common(p, json_out=False)
    p.add_argument("--reader", default=None, help="ID reader address (default "
                   "$IDCAPTURE_ID_READER)")
    p.add_argument("--camera", default=None)
    p.add_argument("--sensor", default=None)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--resume", metavar="SESSION", help="resume an interrupted session")
    p.add_argument("--correct", metavar="ID_NUMBER", help="re-capture one step of a record")
    p.add_argument("--step", default="portrait", choices=("portrait", "right-thumb",
                                                          "left-thumb"),
                   help="with --correct: the step to capture again")
    p.add_argument("--reason", default="", help="with --correct: why")
    p.add_argument("--accept-mismatch", action="store_true",
                   help="accept a card/roster disagreement (recorded)")
    p.add_argument("--keep-low-quality", action="store_true",
                   help="keep a finger below the quality profile after the retries")
    p.add_argument("--manual-portrait", action="store_true",
                   help="take a hand-framed portrait when auto-capture gives up")
    p.add_argument("--finger-algorithm", metavar="ADDRESS", default=None,
                   help="fingerprint algorithm of the card-fingerprint check, e.g. 'idfpr:' "
                   "(default: the station's finger_algorithm setting; 'none': no check)")
    p.add_argument("--accept-card-fingerprint", action="store_true",
                   help="accept a thumb that does not match the card after the attempts "
                   "(recorded as overridden); otherwise the capture is refused")
    p.add_argument("--date", help="act as if today were this date (YYYY-MM-DD)")
    p.set_defaults(func=cmd_capture)

    p = g.add_parser("sessions", help="list unfinished capture sessions with their step "
                     "and age")
    common(p)
    p.set_defaults(func=cmd_sessions)

    p = g.add_parser("check", help="list records with failed or missing checks, and absent "
                     "students")
    common(p)
    p.add_argument("--strict", action="store_true", help="warnings and overrides block too")
    p.add_argument("--all", dest="verbose_report", action="store_true",
                   help="list every record that needs attention")
    p.set_defaults(func=cmd_check)

    for name, fn, text in (("export", cmd_export, "write the export package"),
                           ("verify-export", cmd_verify, "check a package against its "
                            "manifest")):
        p = g.add_parser(name, help=text)
        if name == "export":
            common(p)
            p.add_argument("out", help="package file to write (.zip)")
            p.add_argument("--profile", help="export profile: built-in name or .json file")
            p.add_argument("--force", action="store_true",
                           help="export records whose checks fail too")
        else:
            p.add_argument("package")
            p.add_argument("--json", action="store_true")
        p.add_argument("--encrypt", action="store_true", help="ask for a passphrase")
        p.add_argument("--passphrase-env", metavar="VAR",
                       help="read the passphrase from this environment variable")
        p.set_defaults(func=fn)

    p = g.add_parser("confirm-export", help="record that the exam authority confirmed "
                     "receipt of a package (verified first)")
    common(p, json_out=False)
    p.add_argument("package")
    p.add_argument("--receipt", default="", help="the authority's reference for it")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="an encrypted package's passphrase from this environment variable")
    p.set_defaults(func=cmd_confirm_export, encrypt=False)

    p = g.add_parser("purge", help="remove the personal data of the records in confirmed "
                     "exports (says what it keeps)")
    common(p)
    p.set_defaults(func=cmd_purge)

    p = g.add_parser("decrypt-export", help="decrypt an encrypted package into a plain ZIP",
                     description="The container is described in docs/integrators/"
                     "export-profiles.md, so that other software can open it too.")
    p.add_argument("package", help="encrypted package")
    p.add_argument("out", help="ZIP file to write")
    p.add_argument("--passphrase-env", metavar="VAR",
                   help="read the passphrase from this environment variable (otherwise it "
                   "is asked on the terminal)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_decrypt)

