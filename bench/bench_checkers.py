"""Benchmark the answer checkers and the code sandbox.

    python bench/bench_checkers.py checkers --runs 3     # checks/s and latency over every gold answer of ../shared/data
    python bench/bench_checkers.py sandbox --runs 30     # per-program overhead: bubblewrap, rlimits only, bare python,
                                                         # this tree's check_code and --baseline's (default main),
                                                         # interleaved

Checker workloads, each over the gold answers of all eight files in ../shared/data (train and eval):
  boxed     `score_math` on a completion that boxes the gold answer verbatim (the common training-reward case);
  variants  `math_equal` on the renderings the tests use (decimal, units, thousands separators, `x = `, `$...$`,
            fractions as slashes and decimals), the gold answer as reference;
  symbolic  only the pairs among `variants` that reach math-verify (the worker process);
and, side by side on the `symbolic` pairs, plain in-process math-verify (`parse` + `verify`, its timeouts off).
Prints Markdown rows for bench/RESULTS.md (median of the runs; latencies pooled over the runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def gold_answers() -> list[str]:
    from gainrl.eval.suite import SOURCES, rows_from_records
    from gainrl.files import read_json_records

    golds = [row["answer"] for config, source in SOURCES.items()
             for row in rows_from_records(config, read_json_records(DATA / source.local_file), source.to_row)]
    golds += [record["answer"] for record in read_json_records(DATA / "math_train.json") if record.get("answer")]
    golds += [record["solution"].split("####")[-1].strip() for record in read_json_records(DATA / "gsm8k_train.json")]
    return golds


def workloads() -> dict[str, list[tuple[str, str]]]:
    from tests.test_checkers_math import renderings

    from gainrl.checkers.math import canonical_pair, parse_number

    golds = gold_answers()
    variants = [(form, gold) for gold in golds for form in renderings(gold)]

    def reaches_math_verify(pair):
        predicted, expected = canonical_pair(*pair)
        return predicted != expected and not (parse_number(predicted) and parse_number(expected))

    return {"boxed": [(f"Reasoning. So the answer is \\boxed{{{gold}}}.", gold) for gold in golds],
            "variants": variants, "symbolic": [pair for pair in variants if reaches_math_verify(pair)]}


def time_calls(function, pairs) -> tuple[float, list[float], int]:
    latencies, hits = [], 0
    started = time.perf_counter()
    for prediction, reference in pairs:
        begin = time.perf_counter()
        hits += bool(function(prediction, reference))
        latencies.append(time.perf_counter() - begin)
    return time.perf_counter() - started, latencies, hits


def plain_math_verify(prediction: str, reference: str) -> bool:
    from math_verify import parse, verify

    gold, answer = parse(f"${reference}$", parsing_timeout=None), parse(f"${prediction}$", parsing_timeout=None)
    return bool(gold and answer and verify(gold, answer, timeout_seconds=None))


def run_checkers(runs: int) -> None:
    import logging

    from gainrl.checkers import math_equal, score_math

    logging.disable(logging.WARNING)
    loads = workloads()
    math_equal("\\frac{1}{2}", "0.5")  # start the worker outside the timings
    cases = [("boxed", score_math, "boxed"), ("variants", math_equal, "variants"),
             ("symbolic", math_equal, "symbolic"), ("symbolic, plain math-verify in-process", plain_math_verify,
                                                    "symbolic")]
    print("| workload | checks | checks/s (median) | p50 ms | p99 ms | max ms | judged equal |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, function, load in cases:
        seconds, latencies, hits = [], [], 0
        for _ in range(runs):
            elapsed, run_latencies, hits = time_calls(function, loads[load])
            seconds.append(elapsed)
            latencies += run_latencies
        latencies.sort()
        rate = len(loads[load]) / statistics.median(seconds)
        pick = lambda q: 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        print(f"| {label} | {len(loads[load])} | {rate:,.0f} | {pick(0.5):.3f} | {pick(0.99):.2f} | "
              f"{1000 * latencies[-1]:.1f} | {hits}/{len(loads[load])} |")


SANDBOX_PROGRAM = "def square(x):\n    return x * x\n"
SANDBOX_TESTS = "assert square(3) == 9\n"


def baseline_check_code(ref: str):
    """`check_code` as it is at git `ref` (its sandbox.py and process_limits.py, imported from a temp folder)."""
    folder = Path(tempfile.mkdtemp(prefix="gainrl-bench-main-"))
    package = folder / "gainrl_sandbox_main"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("sandbox", "process_limits"):
        source = subprocess.run(["git", "show", f"{ref}:gainrl/checkers/{name}.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        source = source.replace("from gainrl.checkers import process_limits", "from . import process_limits")
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    from gainrl_sandbox_main.sandbox import check_code

    return check_code


def sandbox_python() -> str:
    """This Python, or (as root, when a throw-away uid cannot use it) the system's, for every mode alike."""
    from gainrl.checkers.sandbox import interpreter_usable_by_other_uids

    if os.geteuid() != 0 or interpreter_usable_by_other_uids(sys.executable):
        return sys.executable
    return "/usr/bin/python3"


def run_sandbox(runs: int, baseline: str) -> None:
    from gainrl.checkers import check_code
    from gainrl.checkers.sandbox import bubblewrap_available

    main_check_code = baseline_check_code(baseline)
    sys.executable = sandbox_python()
    workloads = {"assert test code": SANDBOX_TESTS, "stdin/stdout case": [{"input": "3\n", "output": "9"}]}
    programs = {"assert test code": SANDBOX_PROGRAM,
                "stdin/stdout case": SANDBOX_PROGRAM + "print(square(int(input())))\n"}
    isolations = ["rlimits"] + (["bubblewrap"] if bubblewrap_available() else [])
    for workload, tests in workloads.items():
        program = programs[workload]

        def bare(program=program, tests=tests) -> None:
            source = program + (tests if isinstance(tests, str) else "")
            subprocess.run([sys.executable, "-I", "-B", "-c", source], check=True, capture_output=True,
                           input=b"3\n")

        modes = {"bare python subprocess (no limits)": bare}
        for isolation in isolations:
            for label, function in ((baseline, main_check_code), ("this tree", check_code)):
                modes[f"check_code {label}, {isolation}"] = (
                    lambda function=function, isolation=isolation: _checked(function, program, tests, isolation))
        print(f"\nworkload: {workload}; sandbox Python {sys.executable}")
        print_timings(interleaved_timings(modes, runs), "bare python subprocess (no limits)")


def _checked(function, program, tests, isolation) -> None:
    if not function(program, tests, isolation=isolation).passed:
        raise RuntimeError(f"the benchmark program failed under {isolation}")


def interleaved_timings(modes: dict, runs: int) -> dict[str, list[float]]:
    timings = {label: [] for label in modes}
    for _ in range(runs):  # interleaved, so drift hits every mode alike
        for label, call in modes.items():
            started = time.perf_counter()
            call()
            timings[label].append(time.perf_counter() - started)
    return timings


def print_timings(timings: dict[str, list[float]], baseline: str) -> None:
    base = statistics.median(timings[baseline])
    print("| mode | median ms per program | p90 ms | overhead over bare python (ms) |")
    print("|---|---:|---:|---:|")
    for label, values in timings.items():
        values.sort()
        median = statistics.median(values)
        print(f"| {label} | {1000 * median:.1f} | {1000 * values[int(0.9 * len(values))]:.1f} | "
              f"{1000 * (median - base):+.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["checkers", "sandbox"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default="main", help="git ref whose check_code the sandbox mode compares with "
                        "(issue 14's measurements: main at 0a91766, before the hardening)")
    args = parser.parse_args()
    if args.what == "sandbox":
        run_sandbox(args.runs, args.baseline)
    else:
        run_checkers(args.runs)
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
