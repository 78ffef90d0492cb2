"""The import graph of ``src/idcapture`` against the layer table of ``docs/architecture.md``.

Every import (at the top of a file or inside a function) is read from the source with
:mod:`ast`; nothing is imported. The layer table is parsed from the document, so the
map integrators read and the rule the tests enforce are one table.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "idcapture"
DOC = ROOT / "docs" / "architecture.md"

#: what a sans-IO protocol module and the data layer may not import
IO_MODULES = {"os", "time", "socket", "select", "threading", "serial", "usb", "smartcard"}
RECORD_FORBIDDEN = {"json", "pathlib", "os", "io", "tempfile"}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's ``__init__``)."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


MODULES = _modules()


def _imports(name: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in module ``name``: idcapture modules
    resolved to the module file imported, others by their top-level name."""
    path, is_pkg = MODULES[name]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                out.append((sub if sub in MODULES else mod, node.lineno))
    return out


def _internal(target: str) -> str | None:
    """The idcapture module a dotted import name lands in, or None for other packages."""
    if target != "idcapture" and not target.startswith("idcapture."):
        return None
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target if target in MODULES else None


def _unit(module: str) -> str:
    """The top-level unit of a module: ``idcapture.sim.sam.device`` -> ``sim``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer_table() -> dict[str, int]:
    """Unit -> floor, from the table under ``## Layers`` in docs/architecture.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    floors: dict[str, int] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].isdigit():
            continue
        for unit in re.findall(r"`([^`]+)`", cells[2]):
            assert unit not in floors, f"{unit} is on two floors of the layer table"
            floors[unit] = int(cells[0])
    return floors


FLOORS = _layer_table()

GRAPH: dict[str, set[str]] = defaultdict(set)
LINES: dict[tuple[str, str], int] = {}
for _name in MODULES:
    for _target, _line in _imports(_name):
        _mod = _internal(_target)
        if _mod is not None and _mod != _name:
            GRAPH[_name].add(_mod)
            LINES.setdefault((_name, _mod), _line)


def test_the_table_places_every_top_level_module() -> None:
    assert len(set(FLOORS.values())) >= 10, "the layer table was not read"
    units = {_unit(m) for m in MODULES}
    assert sorted(units - set(FLOORS)) == [], "top-level modules missing from the table"
    assert sorted(set(FLOORS) - units) == [], "the table names modules that do not exist"


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a floor to the same or a higher floor (outside its own unit)."""
    out = []
    for src, targets in graph.items():
        for dst in targets:
            a, b = _unit(src), _unit(dst)
            if a != b and FLOORS[b] >= FLOORS[a]:
                out.append(f"{src} (floor {FLOORS[a]}) imports {dst} (floor {FLOORS[b]}) "
                           f"at line {LINES.get((src, dst), '?')}")
    return sorted(out)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph`` (strongly connected components, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return circles


def test_imports_point_down_only() -> None:
    assert _upward(GRAPH) == []


def test_no_import_circles() -> None:
    assert _circles(GRAPH) == []


def test_the_checks_see_planted_violations() -> None:
    """The reader resolves relative imports as Python does, and both checks fail on a
    graph with one upward import and one circle planted in it."""
    assert "idcapture.sim.sam.device" in GRAPH["idcapture.sim.sam.driver"]
    assert "idcapture.drivers.sam.session" in GRAPH["idcapture.sim.sam.driver"]
    assert "idcapture.errors" in GRAPH["idcapture.record"]
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["idcapture.drivers.sam.session"].add("idcapture.sim.sam.device")
    planted.setdefault("idcapture.formats.wsq", set()).add("idcapture.formats.images")
    planted.setdefault("idcapture.formats.images", set()).add("idcapture.formats.wsq")
    assert [u.split(" ")[0] for u in _upward(planted)] == ["idcapture.drivers.sam.session"]
    assert ["idcapture.formats.images", "idcapture.formats.wsq"] in _circles(planted)


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("idcapture.drivers.")
                                        and m.endswith(".protocol")))
def test_protocols_are_sans_io(name: str) -> None:
    bad = []
    for target, line in _imports(name):
        mod = _internal(target)
        inside = mod is not None and _unit(mod) not in ("errors", "record")
        outside = mod is None and target.split(".")[0] in IO_MODULES
        if inside or outside:
            bad.append(f"{target} (line {line})")
    assert bad == []


def test_record_does_no_io() -> None:
    bad = [f"{t} (line {line})" for t, line in _imports("idcapture.record")
           if t.split(".")[0] in RECORD_FORBIDDEN]
    assert bad == []
