"""Print the coverage of each package of idcapture and fail under the configured floor.

Run by ``./run.sh test`` after the combined data is written::

    python tests/coverage_by_package.py   # reads build/coverage/.coverage

Lines and branches count together, as ``coverage report`` counts them; the floor is
``[tool.coverage.report] fail_under`` in pyproject.toml. It is held for a run of the whole
suite with the real images beside the checkout (``../shared/data``); ``--no-floor`` (a
chosen subset of the tests) or a checkout without them prints the figures and says why
the floor was not held.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    out = ROOT / "build" / "coverage" / "coverage.json"
    cov.json_report(outfile=str(out), ignore_errors=True)
    report = json.loads(out.read_text(encoding="utf-8"))
    totals: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for filename, entry in report["files"].items():
        parts = Path(filename).parts
        rel = parts[parts.index("idcapture"):] if "idcapture" in parts else parts
        package = ".".join(rel[:2]) if len(rel) > 2 else rel[0]
        n = entry["summary"]
        totals[package][0] += n["covered_lines"] + n.get("covered_branches", 0)
        totals[package][1] += n["num_statements"] + n.get("num_branches", 0)
    width = max((len(p) for p in totals), default=10)
    print(f"{'package':<{width}}  covered / total (lines + branches)")
    hit_all = total_all = 0
    for package in sorted(totals):
        hit, total = totals[package]
        hit_all, total_all = hit_all + hit, total_all + total
        print(f"{package:<{width}}  {100.0 * hit / max(total, 1):5.1f} %  {hit:6d} / {total:6d}")
    level = 100.0 * hit_all / max(total_all, 1)
    floor = float(cov.get_option("report:fail_under") or 0)
    print(f"{'total':<{width}}  {level:5.1f} %  {hit_all:6d} / {total_all:6d}  "
          f"(floor {floor:.0f} %)")
    if "--no-floor" in argv:
        print("floor not held: only some of the tests ran")
        return 0
    if not (ROOT.parent / "shared" / "data").is_dir():
        print("floor not held: ../shared/data is not beside the checkout, so the tests "
              "that read it were skipped")
        return 0
    if level < floor:
        print(f"coverage {level:.1f} % is under the floor of {floor:.0f} %")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
