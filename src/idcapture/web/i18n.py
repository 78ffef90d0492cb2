"""The frontend's words in Chinese (the default) and English.

The words live in the ``idcapture`` gettext catalogue shared with the command line
(:mod:`idcapture.i18n`): the page words by key (``nav.today``), the operator messages
by their English text. Templates call ``t("key")``; the page scripts get every page key
as JSON (a ``<script type="application/json">`` element, which the content-security
policy allows because it is data, not code). Every key exists in both languages (a
test checks). Messages from the library (checks, prompts, retry reasons) are put in the
page's language by :func:`message`, check names by :func:`check_name`.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ..i18n import LANGUAGES as _LANGUAGES
from ..i18n import catalogue_entries, check_label, gettext_for, localize

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "check_name", "keys", "localize_export_status",
           "localize_snapshot", "message", "table", "translate"]

LANGUAGES = _LANGUAGES
DEFAULT_LANGUAGE = "zh"

_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_-]+)+$")


@functools.lru_cache(maxsize=1)
def keys() -> tuple[str, ...]:
    """Every page key of the catalogue."""
    return tuple(e.msgid for e in catalogue_entries("en")
                 if e.msgctxt is None and _KEY.match(e.msgid))


def translate(key: str, language: str) -> str:
    """The text for ``key`` in ``language`` (the key itself when unknown)."""
    return gettext_for(key, language if language in LANGUAGES else DEFAULT_LANGUAGE)


def table(language: str) -> dict[str, str]:
    """Every page key in ``language`` (for the page scripts)."""
    return {k: translate(k, language) for k in keys()}


def message(text: str, language: str) -> str:
    """A library message (English) in ``language``."""
    return localize(text, language if language in LANGUAGES else DEFAULT_LANGUAGE)


def check_name(name: str, language: str) -> str:
    """A check's name (``finger-quality:right-thumb``) in ``language``."""
    return check_label(name, language if language in LANGUAGES else DEFAULT_LANGUAGE)


def localize_snapshot(snapshot: dict[str, Any], language: str) -> dict[str, Any]:
    """The capture page's state with its messages in ``language`` and a ``label`` (the
    translated name) beside each check's ``name``; the input is not changed."""
    out = dict(snapshot)
    s = out.get("session")
    if isinstance(s, dict):
        s = out["session"] = dict(s)
        s["message"] = message(str(s.get("message", "")), language)
        if isinstance(s.get("retry"), dict):
            s["retry"] = {**s["retry"], "message": message(str(s["retry"]["message"]),
                                                           language)}
    out["checks"] = [{**c, "label": check_name(str(c["name"]), language),
                      "message": message(str(c.get("message", "")), language)}
                     for c in out.get("checks", [])]
    return out


def localize_export_status(status: dict[str, Any], language: str) -> dict[str, Any]:
    """The export job's status with the reasons records were left out in ``language``;
    the input is not changed."""
    report = status.get("report")
    if not isinstance(report, dict):
        return status
    left_out = [{**x, "reasons": [message(str(r), language) for r in x.get("reasons", [])]}
                for x in report.get("left_out", [])]
    return {**status, "report": {**report, "left_out": left_out}}
