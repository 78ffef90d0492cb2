"""The station store (and its schema's migrations) is the only module that speaks SQL.

(The province registry is the province's own store, with its own database, and the only
province module that speaks SQL.)

Every other module (the rest of the station, the web frontend, the CLI...) goes through
:class:`~idcapture.station.store.Store`'s named operations, so a schema change touches
one file. The scan reads every string literal (f-string parts included), every import
and every ``.execute`` call in the package's source.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import idcapture
from idcapture.station.store import Store

PACKAGE = Path(idcapture.__file__).resolve().parent
SQL_OWNERS = {Path("station/store.py"), Path("station/store_schema.py"),
              Path("province/registry.py")}

SQL = re.compile(
    r"\bselect\s+(distinct\s+)?[\w*.,\s()]+?\s+from\s+\w+"
    r"|\binsert\s+(or\s+\w+\s+)?into\s+\w+"
    r"|\bupdate\s+\w+\s+set\s+\w+\s*="
    r"|\bdelete\s+from\s+\w+"
    r"|\bcreate\s+(unique\s+)?(table|index|trigger|view)\s+\w+"
    r"|\bpragma\s+\w+\s*(=|\(|$)"
    r"|\b(begin|commit|rollback)\s*(immediate|transaction)?\s*$",
    re.IGNORECASE)


def sql_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) of every SQL string, sqlite3 import and ``.execute*`` call."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):  # an f-string: its parts around the values
            text = "".join(v.value if isinstance(v, ast.Constant) else "_"
                           for v in node.values)
        m = SQL.search(text) if text else None
        if m:
            found.append((node.lineno, f"SQL text {m.group(0)!r}"))
        if isinstance(node, ast.Import):
            found += [(node.lineno, "imports sqlite3") for a in node.names
                      if a.name.split(".")[0] == "sqlite3"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
            found.append((node.lineno, "imports from sqlite3"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("execute", "executemany", "executescript"):
            found.append((node.lineno, f"calls .{node.func.attr}()"))
    return found


def test_the_scan_finds_sql_where_there_is_some() -> None:
    store_source = (PACKAGE / "station" / "store.py").read_text(encoding="utf-8")
    kinds = {what.split(" ")[0] for _, what in sql_uses(ast.parse(store_source))}
    assert {"SQL", "imports", "calls"} <= kinds
    schema = (PACKAGE / "station" / "store_schema.py").read_text(encoding="utf-8")
    assert any("CREATE TABLE" in what for _, what in sql_uses(ast.parse(schema)))
    assert sql_uses(ast.parse('x = f"SELECT id_number FROM {table} WHERE a = ?"'))
    assert sql_uses(ast.parse('cur.executemany("update students set name=? where x", r)'))
    assert not sql_uses(ast.parse('"""Select the eMRTD application, then read EF.COM."""'))


def test_no_module_but_the_store_contains_sql() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel in SQL_OWNERS:
            continue
        for line, what in sql_uses(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{rel}:{line}: {what}")
    assert offenders == []


@pytest.mark.parametrize("name", ["query", "transaction", "execute", "connection"])
def test_the_store_offers_no_sql_pass_through(name: str) -> None:
    assert not hasattr(Store, name)
