"""The ``idcapture`` command: thin over the library.

Each module in :data:`COMMAND_MODULES` has ``register(commands)`` that adds its
subcommands, either at the top level (``commands.top.add_parser``) or in a group
(``commands.group("finger").add_parser``). A subcommand's ``func(args)`` returns the
exit status: 0 ok, 1 failure; usage errors exit with 2.

Every failure ends in one line on standard error, never a traceback: the library's
typed errors as they are (they are built masked), input nested too deeply to read,
no terminal to ask on, and any other exception by its class name only (its text may
quote personal data; ``IDCAPTURE_TRACEBACK=1`` shows the traceback when debugging).
Output into a closed pipe (``idcapture station check | head``) ends quietly.

With ``--json`` a failure is one JSON object on standard output instead,
``{"error": {"type": ..., "message": ..., "code": ...}}`` (``type`` is the error's class
name, ``usage`` for a command line argparse refuses, ``unexpected`` for anything else;
``code`` is the typed error's stable code), with the same exit status.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import IdCaptureError
from ..i18n import N_
from ..privacy import describe_error

__all__ = ["COMMAND_MODULES", "Commands", "error_json", "fail", "main", "port_number",
           "print_json", "tr", "tr_value"]

#: modules under idcapture.cli that add subcommands
COMMAND_MODULES: list[str] = [
    "core",
    "record_cmd",
    "emrtd_cmd",
    "demo",
    "id_reader",
    "finger_tools",
    "finger_synth",
    "finger_match",
    "face_cmd",
    "station_cmd",
    "province_cmd",
    "web_cmd",
    "finger_capture",
]


class Commands:
    """What a command module receives: the top-level subparsers and named groups."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser
        self.top = parser.add_subparsers(dest="command", metavar="COMMAND")
        self._groups: dict[str, Any] = {}

    def group(self, name: str, help: str = "") -> Any:
        """The subparsers of ``idcapture NAME ...`` (created on first use)."""
        if name not in self._groups:
            p = self.top.add_parser(name, help=help or f"{name} commands")
            p.set_defaults(func=lambda _a, _p=p: (_p.print_help(), 2)[1])
            self._groups[name] = p.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
        return self._groups[name]


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON on standard output (UTF-8, sorted keys)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2,
                                default=str) + "\n")


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0..65535")
    return value


#: set by :func:`main` when the command line asks for ``--json``
_json_errors = False
#: the operator's language, set by :func:`main` (``--lang``, else the locale)
_language = "en"


def tr(text: str) -> str:
    """An operator message (English, from the library or a command) in the language of
    the command line (see :mod:`idcapture.i18n`)."""
    from ..i18n import localize

    return localize(text, _language)


def tr_value(context: str, value: str) -> str:
    """An identifier (``outcome`` ``passed``, ``retry`` ``too-dark``) in the language of
    the command line."""
    from ..i18n import pgettext_for

    return pgettext_for(context, value, _language)


def error_json(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    """The JSON form of a failure: ``{"error": {"type", "message"[, "code"]}}``."""
    body: dict[str, Any] = {"type": kind, "message": message}
    if code:
        body["code"] = code
    return {"error": body}


def fail(message: str, kind: str = "error", code: str | None = None) -> int:
    """Report a failure (one line on standard error, or the JSON error with ``--json``);
    returns the exit status 1."""
    if _json_errors:
        print_json(error_json(kind, tr(message), code))
    else:
        print(f"idcapture: {tr('error')}: {tr(message)}", file=sys.stderr)
    return 1


class _Parser(argparse.ArgumentParser):
    """Usage errors as JSON on standard output too when ``--json`` was given."""

    def error(self, message: str) -> Any:
        if _json_errors:
            print_json(error_json("usage", f"{self.prog}: {message}"))
            sys.exit(2)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="idcapture",
        description="Identity-capture stations: devices, simulators, biometrics, records.")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more (-v info, -vv debug); personal data stays masked")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"idcapture {__version__}")
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of the operator messages (default: from the locale, "
                        "LANG=zh_CN.UTF-8 gives Chinese)")
    commands = Commands(parser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    global _json_errors, _language
    argv = list(sys.argv[1:] if argv is None else argv)
    _json_errors = "--json" in argv
    parser = build_parser()
    args = parser.parse_args(argv)
    _json_errors = bool(getattr(args, "json", False))
    if args.lang is None:
        from ..i18n import language_from_locale

        args.lang = language_from_locale()
    _language = args.lang
    logging.basicConfig(level={0: logging.WARNING, 1: logging.INFO}.get(args.verbose,
                                                                          logging.DEBUG),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from ..drivers.opencv.cvlog import quiet_opencv

    quiet_opencv(args.verbose)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        status = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except IdCaptureError as exc:
        return fail(str(exc), type(exc).__name__, exc.code)
    except KeyboardInterrupt:
        if _json_errors:
            return fail(N_("interrupted"), "interrupted")
        print(f"idcapture: {tr(N_('interrupted'))}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (| head): stop writing, and let the interpreter's final
        # flush of standard output go nowhere instead of failing again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 1
    except RecursionError:
        return fail(N_("the input is nested too deeply to read"), "RecursionError")
    except EOFError:
        return fail(N_("input ended where a value was expected (no terminal to ask on?)"),
                    "EOFError")
    except Exception as exc:
        if os.environ.get("IDCAPTURE_TRACEBACK") == "1":
            raise
        return fail(N_("unexpected {error}").format(error=describe_error(exc)), "unexpected")
