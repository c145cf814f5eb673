"""How long CI's verl environments take: building each venv from its constraints file (the Makefile's own rule, into
a fresh folder) and running its test target, in wall-clock and CPU seconds (children's user + system).

    python bench/bench_verl_envs.py [--runs 3] [--which verl verl-legacy]

pip's cache is whatever the machine has (warm on CI after the first build). Prints one Markdown row per
environment: median of the runs, and each run.

What it does not cover: the main environment (`make install-all`), and network-bound installs (cold pip cache).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"verl": ("VERL_VENV", "test-verl"), "verl-legacy": ("VERL_LEGACY_VENV", "test-verl-legacy")}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_make(*arguments: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one `make` call, which must succeed."""
    wall, cpu = time.perf_counter(), children_cpu()
    subprocess.run(["make", "-C", str(ROOT), *arguments], check=True, capture_output=True, text=True)
    return time.perf_counter() - wall, children_cpu() - cpu


def one_run(name: str) -> dict:
    variable, target = TARGETS[name]
    venv = Path(tempfile.mkdtemp(prefix=f"bench-{name}-")) / "venv"
    try:
        install = timed_make(f"{variable}={venv}", f"{venv}/.installed")
        tests = timed_make(f"{variable}={venv}", target, "PYTEST_ARGS=-q")
    finally:
        shutil.rmtree(venv.parent, ignore_errors=True)
    return {"install": install, "tests": tests}


def row(name: str, runs: list[dict]) -> str:
    def cell(key: str, index: int) -> str:
        values = [run[key][index] for run in runs]
        return f"{statistics.median(values):.0f} ({', '.join(f'{v:.0f}' for v in values)})"

    return (f"| {name} | {len(runs)} | {cell('install', 0)} | {cell('install', 1)} | {cell('tests', 0)} | "
            f"{cell('tests', 1)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--which", nargs="+", choices=sorted(TARGETS), default=sorted(TARGETS))
    arguments = parser.parse_args()
    print("| environment | runs | install wall s | install CPU s | tests wall s | tests CPU s |")
    print("|---|---|---|---|---|---|")
    for name in arguments.which:
        print(row(name, [one_run(name) for _ in range(arguments.runs)]), flush=True)


if __name__ == "__main__":
    main()
