"""Every Python example in docs/ runs, on the default simulators, and passes
``mypy --strict``: the docs cannot drift from the API.

The examples of one page run top to bottom as one script (a later block may use what an
earlier one made), in a fresh process whose working folder is a temporary one. A block
whose first line is

* ``# (not run in the test suite: REASON)`` is left out, and the test says why;
* ``# (needs PATH ...)`` runs only when that file (relative to the repository, such as
  a compiled simulator under ``build/native``) exists, else the page is skipped naming it;
* ``# some/file.py`` is a file of a package the page builds (a vendor's plugin): it is
  written to that path beside the script, so the page's other blocks can import it, and
  type-checked with them (tests/test_first_hour.py installs and runs it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
NOT_RUN = re.compile(r"^# \(not run in the test suite: (.+)\)\s*$")
NEEDS = re.compile(r"^# \(needs (\S+?),?\s[^)]*\)\s*$")
FILE = re.compile(r"^# ([\w/.-]+\.py)\s*$")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    not_run: str | None
    needs: str | None
    file: str | None


def blocks() -> list[Block]:
    out = []
    for md in sorted(DOCS.rglob("*.md")):
        text = md.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            code = m.group(1)
            first = code.splitlines()[0] if code.strip() else ""
            skip, need, file = NOT_RUN.match(first), NEEDS.match(first), FILE.match(first)
            out.append(Block(str(md.relative_to(DOCS)), text.count("\n", 0, m.start()) + 1,
                             code, skip.group(1) if skip else None,
                             need.group(1) if need else None, file.group(1) if file else None))
    return out


BLOCKS = blocks()
PAGES = sorted({b.page for b in BLOCKS})


def page_script(page: str) -> tuple[str, list[str], list[str]]:
    """The runnable blocks of ``page`` as one script (each block marked with its line),
    the reasons of the blocks left out, and the files the page needs."""
    parts, reasons, needs = [], [], []
    for b in (b for b in BLOCKS if b.page == page and b.file is None):
        if b.not_run is not None:
            reasons.append(f"{page}:{b.line}: {b.not_run}")
            continue
        if b.needs is not None:
            needs.append(b.needs)
        parts.append(f"# ---- {page}:{b.line}\n{b.code}")
    return "\n".join(parts), reasons, needs


def page_files(page: str, folder: Path) -> list[Path]:
    """Write the file blocks of ``page`` under ``folder`` (packages get an
    ``__init__.py``); the files written."""
    written = []
    for b in (b for b in BLOCKS if b.page == page and b.file is not None):
        assert b.file is not None
        path = folder / b.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.parent != folder and path.parent.name != "tests":
            init = path.parent / "__init__.py"
            if not init.exists():
                init.write_text("", encoding="utf-8")
                written.append(init)
        path.write_text(b.code, encoding="utf-8")
        written.append(path)
    return written


def test_blocks_are_found_and_reasons_are_given() -> None:
    assert len(BLOCKS) >= 25
    for b in BLOCKS:
        assert b.not_run is None or len(b.not_run) > 10, f"{b.page}:{b.line}: say why"


def _environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["IDCAPTURE_NO_ENTRY_POINTS"] = "1"
    for var in ("IDCAPTURE_ID_READER", "IDCAPTURE_CAMERA", "IDCAPTURE_FINGERPRINT_SENSOR"):
        env.pop(var, None)
    build = ROOT / "build"
    if build.exists() and not (tmp / "build").exists():
        (tmp / "build").symlink_to(build, target_is_directory=True)
    return env


#: pages with at least one block that runs (a page whose every block says why it is not
#: run has nothing to run, so it is not a test that could be skipped)
RUNNABLE = sorted({b.page for b in BLOCKS if b.not_run is None})


def test_every_page_with_python_either_runs_or_says_why() -> None:
    quiet = sorted(set(PAGES) - set(RUNNABLE))
    for page in quiet:
        reasons = [b.not_run for b in BLOCKS if b.page == page]
        assert reasons and all(reasons), page
    assert len(RUNNABLE) >= 10, RUNNABLE


@pytest.mark.parametrize("page", RUNNABLE)
def test_page_examples_run(page: str, tmp_path: Path) -> None:
    script, reasons, needs = page_script(page)
    missing = [n for n in needs if not (ROOT / n).exists()]
    if missing:
        pytest.skip(f"{page} needs {', '.join(missing)} (built by ./run.sh setup)")
    files = page_files(page, tmp_path)
    if not script.strip():
        if files:  # nothing to run: the files at least import
            script = "\n".join(f"import {f.relative_to(tmp_path).with_suffix('').as_posix()}"
                               .replace("/", ".") for f in files
                               if f.name != "__init__.py" and "tests" not in f.parts)
        else:
            pytest.fail(f"{page}: no block runs ({'; '.join(reasons)})")
    (tmp_path / "example.py").write_text(script, encoding="utf-8")
    out = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, env=_environment(tmp_path))
    assert out.returncode == 0, f"{page}:\n{out.stderr[-3000:]}"


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    files = []
    for i, page in enumerate(PAGES):
        files += [str(f) for f in page_files(page, tmp_path) if f.name != "__init__.py"]
        script, _, _ = page_script(page)
        if script.strip():
            path = tmp_path / f"page_{i:02d}.py"
            path.write_text(f"# {page}\n{script}", encoding="utf-8")
            files.append(str(path))
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          "--cache-dir", str(tmp_path / ".mypy"), *files],
                         capture_output=True, text=True, timeout=900, cwd=tmp_path,
                         env={**os.environ, "MYPYPATH": str(tmp_path)})
    report = "\n".join(_doc_line(line, tmp_path) for line in out.stdout.splitlines()
                       if ": error:" in line)
    assert out.returncode == 0, report or out.stdout[-2000:]


def _doc_line(error: str, folder: Path) -> str:
    """A mypy error on a page script, pointed at the line of the page it comes from."""
    m = re.match(r"(?:.*/)?(page_\d\d\.py):(\d+):(.*)", error)
    if m is None:
        return error
    lines = (folder / m.group(1)).read_text(encoding="utf-8").splitlines()
    n = int(m.group(2))
    for k in range(n - 1, -1, -1):
        marker = re.match(r"# ---- (.+):(\d+)$", lines[k])
        if marker:
            return f"docs/{marker.group(1)}:{int(marker.group(2)) + n - (k + 1)}:{m.group(3)}"
    return error
