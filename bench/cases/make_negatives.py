"""Generate near-miss wrong answers for every gold answer of the evaluation sets: `bench/cases/negatives.json`.

    python bench/cases/make_negatives.py        # reads ../shared/data through gainrl.eval.suite's row builders

For each gold answer (the six evaluation sets: GSM8K test, MATH500, AMC, AIME 2024, Minerva, OlympiadBench), one
wrong answer of each kind that applies:
  off_by_one     an integer plus one;
  wrong_sign     the negated number, or `-(expression)`;
  swapped_order  a tuple `(a, b, ...)` with its first two distinct entries swapped;
  unit_power     a unit or an exponent raised by one (`cm^2` -> `cm^3`, `10^{8}` -> `10^{9}`, `x^2` -> `x^3`);
  close_value    a decimal with its last digit changed, or an irrational value written to 3 significant digits;
  other_root     the conjugate root (`a + \\sqrt{b}` -> `a - \\sqrt{b}`, `1+2i` -> `1-2i`).
Every prediction is a completion boxing the wrong answer. Each kind is constructed to differ from the gold
(numbers by more than any tolerance; a sign flip is skipped for 0, a swap for equal entries), so every case is
labelled not equal. The output is deterministic.
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
OUT = Path(__file__).resolve().parent / "negatives.json"
sys.path.insert(0, str(ROOT))

_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+\.\d+")
_POWER = re.compile(r"\^\s*(?:\{\s*(-?\d+)\s*\}|(\d)(?!\d))")
_CONJUGATE = re.compile(r"([+-])\s*(?=(?:\d*\s*)?\\sqrt|\d*\s*i\b|i\b)")


def off_by_one(gold: str) -> str | None:
    if _INTEGER.fullmatch(gold) or (_DECIMAL.fullmatch(gold) and Decimal(gold) == int(Decimal(gold))):
        return str(int(Decimal(gold)) + 1)
    return None


def wrong_sign(gold: str) -> str | None:
    if _INTEGER.fullmatch(gold) or _DECIMAL.fullmatch(gold):
        return None if Decimal(gold) == 0 else gold[1:] if gold.startswith("-") else "-" + gold
    if any(c.isdigit() or c == "\\" for c in gold) and not any(t in gold for t in (",", "=", "\\text")):
        return f"-\\left({gold}\\right)"
    return None


def swapped_order(gold: str) -> str | None:
    if not (gold.startswith("(") and gold.endswith(")")) or _first_group_end(gold) != len(gold) - 1:
        return None  # not one tuple (a list of tuples, or `(a)(b)`)
    entries = _top_level_split(gold[1:-1])
    if len(entries) < 2 or entries[0].strip() == entries[1].strip():
        return None
    entries[0], entries[1] = entries[1], entries[0]
    return "(" + ",".join(entries) + ")"


def _first_group_end(text: str) -> int:
    depth = 0
    for index, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0:
            return index
    return -1


def _top_level_split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return parts + [text[start:]]


def unit_power(gold: str) -> str | None:
    match = None
    for match in _POWER.finditer(gold):
        pass
    if match is None:
        return None
    raised = str(int(match.group(1) or match.group(2)) + 1)
    return gold[:match.start()] + "^{" + raised + "}" + gold[match.end():]


def close_value(gold: str) -> str | None:
    if _DECIMAL.fullmatch(gold):
        digit = int(gold[-1])
        return gold[:-1] + str(digit + 1 if digit < 9 else digit - 1)
    if _INTEGER.fullmatch(gold) or "\\" not in gold:
        return None
    value = _numeric_value(gold)
    if value is None or value == 0:
        return None
    close = float(f"{value:.3g}")
    return None if abs(close - value) <= 1e-6 * max(1.0, abs(value)) else f"{close:g}"


def _numeric_value(gold: str) -> float | None:
    from math_verify import parse

    try:
        parsed = parse(f"${gold}$", parsing_timeout=None)
        value = complex(parsed[0].evalf()) if parsed else None
    except Exception:  # noqa: BLE001  (anything sympy cannot evaluate has no close value)
        return None
    return value.real if value is not None and abs(value.imag) < 1e-12 else None


def other_root(gold: str) -> str | None:
    matches = list(_CONJUGATE.finditer(gold))
    if not matches or "," in gold:
        return None
    sign = matches[-1]
    return gold[:sign.start()] + ("-" if sign.group(1) == "+" else "+") + gold[sign.end():]


KINDS = {"off_by_one": off_by_one, "wrong_sign": wrong_sign, "swapped_order": swapped_order,
         "unit_power": unit_power, "close_value": close_value, "other_root": other_root}


def eval_golds() -> list[tuple[str, str]]:
    from gainrl.eval.suite import SOURCES, rows_from_records
    from gainrl.files import read_json_records

    return [(config, str(row["answer"]).strip()) for config, source in SOURCES.items()
            for row in rows_from_records(config, read_json_records(DATA / source.local_file), source.to_row)]


def negatives() -> list[dict]:
    cases, seen = [], set()
    for config, gold in eval_golds():
        for kind, make in KINDS.items():
            wrong = make(gold)
            if wrong is None or wrong.strip() == gold or (gold, wrong) in seen:
                continue
            seen.add((gold, wrong))
            cases.append({"suite": f"negatives/{config}", "kind": kind, "gold": gold, "wrong_answer": wrong,
                          "prediction": f"Therefore the final result is \\boxed{{{wrong}}}.", "expected": 0,
                          "form": "completion"})
    return cases


def main() -> None:
    cases = negatives()
    OUT.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(cases)} negatives -> {OUT}")


if __name__ == "__main__":
    main()
