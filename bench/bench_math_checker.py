"""How well the math reward judges: gainrl, raw math-verify and the paper preset on public suites and near misses.

    python bench/bench_math_checker.py --runs 3

Cases (committed, see bench/cases/): `public_suites.json` (Math-Verify's, hendrycks/math's and MARIO_EVAL's test
pairs, made by `convert_public_suites.py`) and `negatives.json` (near-miss wrong answers for every gold answer of the
evaluation sets, made by `make_negatives.py`). Judges, side by side in one run:
  gainrl            `score_math(prediction, gold)` for completions (with the upstream test's `float_rounding`,
                    `strict` and `allow_set_relation_comp`), `math_equal` for pairs of bare answers;
  gainrl, no fallback   the same with `fallback=False` (extraction without the prose fallback);
  gainrl (main)     the same calls on main's checkers (`git show main:gainrl/checkers/...`, loaded as a package);
  math-verify       `verify(parse(gold), parse(prediction))` called as each upstream test calls it (its extraction
                    targets and options); bare answers of the other suites and the negatives as `$...$`;
  paper             `mode="paper"`: the last box (or the bare answer) under the reference's rules.
A case counts as right when the verdict equals its label: the upstream label, or the corrected one where the case
file records `label_wrong`. Throughput: bench_checkers.py's three workloads, main's checkers against this branch's,
interleaved, median of `--runs`. Prints Markdown tables for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "bench" / "cases"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
MAIN_MODULES = ("extraction", "math", "normalize", "paper_rules", "symbolic", "_symbolic_worker")


def load_cases() -> list[dict]:
    files = ("public_suites.json", "negatives.json")
    return [case for name in files for case in json.loads((CASES / name).read_text())]


def label(case: dict) -> int:
    return case.get("label_wrong", {}).get("right", case["expected"])


def main_checkers(directory: Path):
    """main's `gainrl.checkers` (math part) as the package `gainrl_main.checkers`."""
    package = directory / "gainrl_main" / "checkers"
    package.mkdir(parents=True)
    (directory / "gainrl_main" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    for name in MAIN_MODULES:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"main:gainrl/checkers/{name}.py"], check=True,
                                capture_output=True, text=True).stdout
        (package / f"{name}.py").write_text(source.replace("gainrl.checkers", "gainrl_main.checkers"))
    sys.path.insert(0, str(directory))
    return importlib.import_module("gainrl_main.checkers.math")


def gainrl_options(case: dict) -> dict:
    upstream = case.get("math_verify") or {}
    options = {key: upstream[key] for key in ("strict", "allow_set_relation_comp") if key in upstream}
    if upstream.get("float_rounding", 6) != 6:
        options["float_rounding"] = upstream["float_rounding"]
    return options


def reference(gold: str) -> str:
    """A gold written as a completion (some Math-Verify tests box it) reduced to its final answer."""
    from gainrl.checkers import extract_answer

    return extract_answer(gold) or gold if "\\boxed" in gold else gold


def judges(main_math) -> dict:
    from gainrl.checkers import math_equal, score_math
    from gainrl.checkers.extraction import extract_boxed

    def gainrl(case, fallback=None):
        options = gainrl_options(case)
        if case["form"] == "answer":
            return math_equal(case["prediction"], case["gold"], **options)
        extra = {} if fallback is None else {"fallback": fallback}
        return score_math(case["prediction"], reference(case["gold"]), **options, **extra) == 1.0

    def main(case):
        if case["form"] == "answer":
            return main_math.math_equal(case["prediction"], case["gold"])
        return main_math.score_math(case["prediction"], case["gold"]) == 1.0

    def paper(case):
        answer = case["prediction"] if case["form"] == "answer" else extract_boxed(case["prediction"])
        return math_equal(answer, case["gold"], mode="paper")

    return {"gainrl": gainrl, "gainrl, no fallback": lambda case: gainrl(case, fallback=False),
            "gainrl (main)": main, "math-verify": math_verify, "paper": paper}


def math_verify(case: dict) -> bool:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    upstream = case.get("math_verify")
    if upstream is None:  # as math-verify's README calls it, bare answers in `$...$`
        gold = parse(case["gold"] if "$" in case["gold"] else f"${case['gold']}$")
        prediction = case["prediction"] if case["form"] == "completion" else f"${case['prediction']}$"
        return bool(verify(gold, parse(prediction)))
    targets = []
    for target in upstream["targets"]:
        if target == "expr":
            targets.append(ExprExtractionConfig())
        elif upstream["boxed_match_priority"] is None:
            targets.append(LatexExtractionConfig())
        else:
            targets.append(LatexExtractionConfig(boxed_match_priority=upstream["boxed_match_priority"]))
    options = {key: upstream[key] for key in ("float_rounding", "strict", "allow_set_relation_comp")}
    return bool(verify(parse(case["gold"], targets), parse(case["prediction"], targets), **options))


def verdicts(cases: list[dict], judge) -> list[bool]:
    out = []
    for case in cases:
        try:
            out.append(bool(judge(case)))
        except Exception:  # noqa: BLE001  (a judge that raises has not accepted the answer)
            out.append(False)
    return out


def print_header(columns: str, names: list[str], cell: str) -> None:
    print(f"| {columns} | " + " | ".join(f"{name}: {cell}" for name in names) + " |")
    print("|---|---:|" + "---:|" * len(names))


def is_negative(case: dict) -> bool:
    return case["suite"].startswith("negatives")


def accuracy_tables(cases: list[dict], results: dict[str, list[bool]]) -> None:
    names = list(results)
    print_header("suite | cases (equal / not)", names, "right, FN, FP")
    groups = collections.defaultdict(list)
    for index, case in enumerate(cases):
        groups["negatives (all)" if is_negative(case) else case["suite"]].append(index)
    public = [i for i, case in enumerate(cases) if not is_negative(case)]
    for suite, indices in [*groups.items(), ("public suites (all)", public)]:
        labels = [bool(label(cases[i])) for i in indices]
        cells = []
        for name in names:
            verdict = [results[name][i] for i in indices]
            right = sum(v == gold for v, gold in zip(verdict, labels))
            fn = sum(gold and not v for v, gold in zip(verdict, labels))
            cells.append(f"{right}, {fn}, {len(indices) - right - fn}")
        counts = f"{len(indices)} ({sum(labels)} / {len(indices) - sum(labels)})"
        print(f"| {suite} | {counts} | " + " | ".join(cells) + " |")
    upstream_right = {n: sum(results[n][i] == bool(cases[i]["expected"]) for i in public) for n in names}
    print("\nRight on the public suites by the UPSTREAM labels (no corrections): "
          + ", ".join(f"{n} {v}" for n, v in upstream_right.items()))


def negative_table(cases: list[dict], results: dict[str, list[bool]]) -> None:
    names = list(results)
    print()
    print_header("near-miss kind | cases", names, "accepted (FP rate)")
    kinds = collections.defaultdict(list)
    for index, case in enumerate(cases):
        if is_negative(case):
            kinds[case["kind"]].append(index)
    all_negatives = [i for indices in kinds.values() for i in indices]
    for kind, indices in [*sorted(kinds.items()), ("all", all_negatives)]:
        accepted = [sum(results[n][i] for i in indices) for n in names]
        cells = [f"{count} ({100 * count / len(indices):.2f} %)" for count in accepted]
        print(f"| {kind} | {len(indices)} | " + " | ".join(cells) + " |")


def disagreements(cases: list[dict], results: dict[str, list[bool]]) -> None:
    print("\nPublic cases where gainrl is wrong:")
    for index, case in enumerate(cases):
        if not is_negative(case) and results["gainrl"][index] != bool(label(case)):
            print(f"  [{case['suite']}] label {label(case)} math-verify {int(results['math-verify'][index])}: "
                  f"{case['prediction'][:90]!r} vs {case['gold'][:60]!r}")


def throughput(main_math, runs: int) -> None:
    from bench_checkers import time_calls, workloads

    from gainrl.checkers import math_equal, score_math

    loads = workloads()
    main_math.math_equal("\\frac{1}{2}", "0.5")
    math_equal("\\frac{1}{2}", "0.5")  # start both workers outside the timings
    print("\n| workload | checks | main checks/s | this branch checks/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for load, new, old in (("boxed", score_math, main_math.score_math), ("variants", math_equal, main_math.math_equal),
                           ("symbolic", math_equal, main_math.math_equal)):
        seconds = {"main": [], "new": []}
        for _ in range(runs):  # interleaved, so drift hits both alike
            seconds["main"].append(time_calls(old, loads[load])[0])
            seconds["new"].append(time_calls(new, loads[load])[0])
        rate = {k: len(loads[load]) / statistics.median(v) for k, v in seconds.items()}
        print(f"| {load} | {len(loads[load])} | {rate['main']:,.0f} | {rate['new']:,.0f} | "
              f"{rate['new'] / rate['main']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--part", choices=["all", "accuracy", "throughput"], default="all")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as directory:
        main_math = main_checkers(Path(directory))
        if args.part in ("all", "accuracy"):
            cases = load_cases()
            started = time.perf_counter()
            results = {name: verdicts(cases, judge) for name, judge in judges(main_math).items()}
            print(f"{len(cases)} cases judged by {len(results)} judges in {time.perf_counter() - started:.0f} s\n")
            accuracy_tables(cases, results)
            negative_table(cases, results)
            disagreements(cases, results)
        if args.part in ("all", "throughput"):
            throughput(main_math, args.runs)
    print(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
