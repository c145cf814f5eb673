"""Benchmark how fast a new user's common mistakes end: seconds from starting `gainrl` to its exit, and the exit code.

    python bench/bench_errors.py --runs 5                                   # this tree
    python bench/bench_errors.py --runs 1 --baseline-src DIR    # also a tree before issue 17, side by side

Cases (issue 17): a mistyped local model path given to `score`; an unknown `eval` task; `eval` without an
evaluation suite. HF_ENDPOINT points at a closed local port, as on a machine without the Hub (the issue's contract:
the local-path error within 2 s, no Hub contact). The baseline is run with PYTHONPATH pointing at an extracted
`git archive` of an older tree (`git archive main gainrl evaluation | tar -x -C DIR`), under a 120 s limit.
Prints Markdown rows for bench/RESULTS.md (median, min and max of the runs).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "score --model runs/nope-model": ["score", "--model", "runs/nope-model", "--dataset", "d.json", "--output", "o"],
    "eval --tasks gsm8k (unknown task)": ["eval", "--model", "not-a-model/", "--tasks", "gsm8k", "--output", "o"],
    "eval without an eval suite": ["eval", "--model", "not-a-model/", "--tasks", "gainrl_gsm8k", "--output", "o"],
}
LIMIT_S = 120


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_case(argv: list[str], src: str | None) -> tuple[float, int | str]:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "runs").mkdir()
        Path(folder, "not-a-model").mkdir()
        env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}", "HF_HUB_DISABLE_XET": "1"}
        for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "GAINRL_EVAL_SUITE"):
            env.pop(name, None)
        if src:
            env["PYTHONPATH"] = src
        began = time.monotonic()
        try:
            result = subprocess.run([sys.executable, "-m", "gainrl", *argv], cwd=folder, env=env, timeout=LIMIT_S,
                                    capture_output=True, text=True)
            code: int | str = result.returncode
        except subprocess.TimeoutExpired:
            code = f"still running at {LIMIT_S} s"
        return time.monotonic() - began, code


def measure(src: str | None, runs: int, label: str) -> list[str]:
    rows = []
    for name, argv in CASES.items():
        results = [run_case(argv, src) for _ in range(runs)]
        seconds = [s for s, _ in results]
        rows.append(f"| {label} | `{name}` | {statistics.median(seconds):.2f} | {min(seconds):.2f} | "
                    f"{max(seconds):.2f} | {results[-1][1]} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-src", default=None, help="extracted older tree to run side by side")
    parser.add_argument("--baseline-runs", type=int, default=1)
    args = parser.parse_args()
    print("| tree | case | seconds, median | min | max | exit code |\n|---|---|---|---|---|---|")
    for row in measure(None, args.runs, "this tree"):
        print(row, flush=True)
    if args.baseline_src:
        for row in measure(args.baseline_src, args.baseline_runs, "before issue 17"):
            print(row, flush=True)


if __name__ == "__main__":
    main()
