"""The operators' words in Chinese and English, from one gettext catalogue.

The command line and the web frontend read the same catalogue, ``idcapture``, under
``idcapture/locale/<language>/LC_MESSAGES/`` (``zh`` and ``en``), through the standard
library's :mod:`gettext`. Two kinds of message id live in it:

- the frontend's page words, by key (``nav.today``, ``capture.step.card``): both
  catalogues translate them;
- operator messages, by their English text, with ``{name}`` placeholders where the
  library fills in values (``"{position}: {reason} (attempt {attempt}): try again"``);
  check names (context ``check``), finger positions (``finger``) and retry reasons
  (``retry``) by their stable identifiers; the English catalogue gives checks and
  fingers readable names too (``check-at`` joins a check with its finger).

The library writes its messages in English, as before, marking each template with
:func:`N_` (or :func:`NC_` with a context) so that a test finds every id used in code
and checks it has a Chinese translation. A frontend shows a message in the operator's
language with :func:`localize`, which recognises a message made from a template and
translates it with its values (themselves translated where the catalogue knows them).
Messages stored in records and the store stay English, the record's language.

To add a message: write it in the code as ``N_("...")`` (then ``.format(...)``), add
its ``msgid``/``msgstr`` pair to ``locale/zh/LC_MESSAGES/idcapture.po`` (a ``{name}``
in the id must appear in the Chinese text too), and run ``python -m idcapture.i18n`` to
compile (``./run.sh setup`` does).
"""

from __future__ import annotations

import functools
import gettext
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path

from .po import Entry, PoError, mo_bytes, parse_po

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "NC_",
    "N_",
    "PoError",
    "catalogue_entries",
    "check_label",
    "compile_catalogues",
    "gettext_for",
    "language_from_locale",
    "localize",
    "pgettext_for",
    "translations",
]

DOMAIN = "idcapture"
LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def N_(message: str) -> str:
    """Mark ``message`` (an English text or template) as an operator message; returns it
    unchanged."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark ``message`` with a context (``check``, ``finger``, ``retry``); returns it
    unchanged."""
    return message


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")


def catalogue_entries(language: str) -> list[Entry]:
    """The entries of ``language``'s ``.po`` file (for tools and tests)."""
    _check_language(language)
    return parse_po(_po_path(language).read_text(encoding="utf-8"))


def compile_catalogues() -> list[Path]:
    """Write every language's ``.mo`` beside its ``.po``; returns the files written."""
    written = []
    for language in LANGUAGES:
        mo = _po_path(language).with_suffix(".mo")
        mo.write_bytes(mo_bytes(catalogue_entries(language)))
        written.append(mo)
    return written


@functools.cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (Chinese falls back to English for page
    keys it lacks)."""
    _check_language(language)
    po = _po_path(language)
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = mo_bytes(catalogue_entries(language))
    t = gettext.GNUTranslations(io.BytesIO(data))
    if language != "en":
        t.add_fallback(translations("en"))
    return t


def gettext_for(message: str, language: str) -> str:
    """``message`` (a key or an English text) in ``language``."""
    return translations(language).gettext(message)


def pgettext_for(context: str, message: str, language: str) -> str:
    """``message`` with ``context`` in ``language``."""
    return translations(language).pgettext(context, message)


def language_from_locale(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the locale asks for Chinese, else ``en`` (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``, the first one set, as gettext reads them)."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            first = value.split(":")[0].lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


# ---------------------------------------------------------------------------- localize

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:![rsa])?(?::[^{}]*)?\}")


@functools.cache
def _patterns(language: str) -> list[tuple[re.Pattern[str], str]]:
    """(regex over the rendered English, translated template) for every template id,
    the most specific (longest fixed text) first; each template twice, with its values
    matched as short and as long as they can be, since a value may hold the template's
    own separators (a message inside a message)."""
    found = []
    for e in catalogue_entries(language):
        if e.msgctxt is not None or not e.translated or "{" not in e.msgid:
            continue
        parts = _FIELD.split(e.msgid)  # text, name, text, name, ..., text
        fixed = "".join(parts[0::2])
        for value in (".*?", ".*"):
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{value})"
                            for i, p in enumerate(parts))
            try:
                pattern = re.compile(f"^{regex}$", re.S)
            except re.error:  # a name used twice in one template: matched exactly only
                continue
            found.append((len(fixed), pattern, e.msgstr[0]))
    found.sort(key=lambda x: -x[0])
    return [(p, s) for _, p, s in found]


def _value(text: str, language: str, depth: int) -> str:
    """A value inside a message: a finger, retry reason, check or outcome identifier (also
    written with spaces, ``too dark``), else a message of its own."""
    ident = text.strip().replace(" ", "-")
    for context in ("finger", "retry", "check", "outcome", "field"):
        got = pgettext_for(context, ident, language)
        if got != ident:
            return got
    kind, sep, _ = ident.partition(":")
    if sep and pgettext_for("check", kind, language) != kind:
        return check_label(ident, language)
    whole = localize(text, language, depth)
    if whole == text and "; " in text:  # a list of messages
        return "；".join(localize(part, language, depth) for part in text.split("; "))
    if ", " in text:  # a list of short items, when each is known and it reads better
        parts = [_value(part, language, depth) for part in text.split(", ")]
        if all(p != q for p, q in zip(parts, text.split(", "), strict=True)):
            listed = "，".join(parts)
            if len(_LATIN.findall(listed)) < len(_LATIN.findall(whole)):
                return listed
    return whole


_LATIN = re.compile(r"[A-Za-z]")


def _fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by its value."""
    def one(field: re.Match[str]) -> str:
        return values.get(field[1], field[0])
    return _FIELD.sub(one, template)


def localize(text: str, language: str, _depth: int = 0) -> str:
    """An English operator message in ``language``: a catalogued text, or a message made
    from a catalogued template (its values translated too where known); anything else
    unchanged.

    When several templates match (a value may itself hold a colon), the reading that
    leaves the fewest untranslated Latin letters wins.
    """
    _check_language(language)
    if language == "en" or not text:
        return text
    exact = gettext_for(text, language)
    if exact != text:
        return exact
    if _depth > 4:
        return text
    best = text
    best_latin = len(_LATIN.findall(text))
    for pattern, template in _patterns(language):
        m = pattern.match(text)
        if m is None:
            continue
        values = {k: _value(v, language, _depth + 1) for k, v in m.groupdict().items()}
        out = _fill(template, values)
        latin = len(_LATIN.findall(out))
        if latin < best_latin:
            best, best_latin = out, latin
            if latin == 0:
                break
    if best == text and ": " in text:  # "where: message" (a RecordError names a field)
        where, _, rest = text.partition(": ")
        inner = localize(rest, language, _depth + 1)
        if inner != rest:
            return f"{where}：{inner}"
    return best


def check_label(name: str, language: str) -> str:
    """A check's name for the operator, from its identifier (which records keep):
    ``finger-quality:right-thumb`` -> ``指纹质量：右手拇指`` in Chinese, ``Right thumb
    quality`` in English."""
    kind, _, rest = name.partition(":")
    label = pgettext_for("check", kind, language)
    if not rest:
        return label
    where = pgettext_for("finger", rest, language)
    template = pgettext_for("check-at", kind, language)
    if template != kind:
        return template.replace("{finger}", where)
    return f"{label}：{where}" if language == "zh" else f"{label}: {where}"
