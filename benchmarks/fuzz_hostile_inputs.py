"""The hostile-input fuzzing of the test suite at a larger budget, for a time budget.

Runs ``tests/test_fuzz_hostile_inputs.py`` (roster cells, mutated CSV and .xlsx rosters,
mutated PNG/JPEG/BMP/TIFF images, mutated export packages, the record JSON loader, web
JSON bodies) in rounds: each round is a fresh pytest process with ``--examples``
Hypothesis examples per test and a new seed, while another round fits in ``--seconds``.
A round that fails (an exception other than a typed error, a wrong result) or does not
end within the time left, and at least twice the previous round's time (a hang), stops
the run with its output and exit status 1. Each
round prints its time and the peak memory of its process (the inputs are small, so a
peak far above the first round's means memory is not bounded).

    python benchmarks/fuzz_hostile_inputs.py [--seconds 1800] [--examples 1000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/test_fuzz_hostile_inputs.py"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1800.0, help="time budget (s)")
    ap.add_argument("--examples", type=int, default=1000,
                    help="Hypothesis examples per fuzz test per round (the suite runs 60)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first round")
    args = ap.parse_args()
    env = {**os.environ, "IDCAPTURE_FUZZ_EXAMPLES": str(args.examples)}
    end = time.monotonic() + args.seconds
    rounds = 0
    last = 0.0
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        while end - time.monotonic() > last:  # another round of the last one's length fits
            seed = args.seed + rounds
            left = max(end - time.monotonic(), 2 * last, 60.0)
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            t = time.monotonic()
            cmd = [sys.executable, "-m", "pytest", SUITE, "-q", "-p", "no:randomly",
                   "-p", "no:cacheprovider", f"--hypothesis-seed={seed}",
                   f"--basetemp={tmp}/round{rounds}"]
            try:
                done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                      timeout=left)
            except subprocess.TimeoutExpired:
                print(f"round {rounds} (seed {seed}) did not end within {left:.0f} s (the "
                      "time left, at least twice the last round): a hang, or a budget too "
                      "small for one round")
                return 1
            took = last = time.monotonic() - t
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
            print(f"round {rounds}: seed {seed}, {args.examples} examples per test, "
                  f"{took:.0f} s, largest peak RSS so far {max(peak, before) / 1024:.0f} MB: "
                  f"{summary}",
                  flush=True)
            if done.returncode != 0:
                print(done.stdout[-20000:])
                print(done.stderr[-5000:], file=sys.stderr)
                return 1
            rounds += 1
    print(f"{rounds} rounds clean within {args.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
