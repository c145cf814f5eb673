"""`make bench`: run every CPU benchmark and append a dated section per benchmark to bench/RESULTS.md.

    python bench/run_all.py                    # all of them
    python bench/run_all.py curricula audit    # some of them (names below)

Each benchmark runs as its own process with the arguments listed here; its Markdown output (stdout) goes into
RESULTS.md under a heading with the date, the exact command and the machine, after the sections already there, so
earlier results stay for comparison. Progress goes to the terminal (stderr). A failing benchmark is reported and
the others still run; the exit status is non-zero if any failed. GPU figures are not produced here (see the
benchmarks' own `--help`).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
BENCHMARKS = {
    "hub": ["bench/bench_hub.py"],
    "score": ["bench/bench_score.py", "speed", "--prompts", "256", "--runs", "3"],
    "score-formula": ["bench/bench_score.py", "formula", "--lengths", "1024", "4096", "--runs", "3"],
    "checkers": ["bench/bench_checkers.py", "checkers", "--runs", "3"],
    "sandbox": ["bench/bench_checkers.py", "sandbox", "--runs", "30"],
    "train": ["bench/bench_train.py", "--runs", "5", "--steps", "30"],
    "curricula": ["bench/bench_curricula.py", "--jobs", "2"],
    "audit": ["bench/bench_audit.py", "--limit", "200", "--samples", "8"],
}


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, no GPU used"


def run(name: str) -> bool:
    command = [sys.executable, *BENCHMARKS[name]]
    shown = "python " + " ".join(BENCHMARKS[name])
    print(f"== {name}: {shown}", file=sys.stderr, flush=True)
    began = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    minutes = (time.monotonic() - began) / 60
    if result.returncode != 0:
        print(f"== {name} failed with exit status {result.returncode}", file=sys.stderr)
        return False
    section = (f"\n## {time.strftime('%Y-%m-%d')}: `{shown}` (`make bench`)\n\n"
               f"Machine: {machine()}. Took {minutes:.1f} min.\n\n{result.stdout.strip()}\n")
    with open(RESULTS, "a", encoding="utf-8") as handle:
        handle.write(section)
    return True


def main() -> int:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmarks {unknown}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = [name for name in names if not run(name)]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
