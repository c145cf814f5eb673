"""Benchmark the answer checkers and the code sandbox.

    python bench/bench_checkers.py checkers --runs 3     # checks/s and latency over every gold answer of ../shared/data
    python bench/bench_checkers.py sandbox --runs 30     # per-program overhead: bubblewrap, rlimits only, bare python

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
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def gold_answers() -> list[str]:
    from gainrl.eval_suite import SOURCES, rows_from_records
    from gainrl.scored_data import read_json_records

    golds = [row["answer"] for config, source in SOURCES.items()
             for row in rows_from_records(config, read_json_records(DATA / source.local_file), source.to_row)]
    golds += [record["answer"] for record in read_json_records(DATA / "math_train.json") if record.get("answer")]
    golds += [record["solution"].split("####")[-1].strip() for record in read_json_records(DATA / "gsm8k_train.json")]
    return golds


def workloads() -> dict[str, list[tuple[str, str]]]:
    from gainrl.checkers.math import canonical_pair, parse_number
    from tests.test_checkers_math import renderings

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


def run_sandbox(runs: int) -> None:
    from gainrl.checkers import check_code
    from gainrl.checkers.sandbox import bubblewrap_available

    def bare() -> None:
        source = SANDBOX_PROGRAM + SANDBOX_TESTS
        subprocess.run([sys.executable, "-I", "-B", "-c", source], check=True, capture_output=True)

    modes = {"bare python subprocess (no limits)": bare,
             "check_code, rlimits only": lambda: check_code(SANDBOX_PROGRAM, SANDBOX_TESTS, isolation="rlimits")}
    if bubblewrap_available():
        modes["check_code, bubblewrap"] = lambda: check_code(SANDBOX_PROGRAM, SANDBOX_TESTS, isolation="bubblewrap")
    timings = {label: [] for label in modes}
    for _ in range(runs):  # interleaved, so drift hits every mode alike
        for label, call in modes.items():
            started = time.perf_counter()
            call()
            timings[label].append(time.perf_counter() - started)
    base = statistics.median(timings["bare python subprocess (no limits)"])
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
    args = parser.parse_args()
    {"checkers": run_checkers, "sandbox": run_sandbox}[args.what](args.runs)
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
