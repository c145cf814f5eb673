"""`math_equal` and `score_math`: is a model's final answer the reference answer?

Standard mode, cheapest test first: both normalised strings equal; words compared as words; plain numbers compared
exactly as decimals (integers exactly, others within a relative 1e-6); everything else (fractions, radicals, pi,
tuples, intervals, sets, matrices, equations, algebraic expressions) by math-verify in a worker process with a hard
time limit (`gainrl.checkers.symbolic`), so a call returns within `timeout` seconds from any thread or process.
`mode="paper"` applies the reference implementation's stricter rules instead (`paper_rules`).

What it does not cover: answers longer than `MAX_SYMBOLIC_CHARS` after normalisation are only compared as strings;
multiple-choice letters against option text; answers whose equality depends on units conversion (`1 m` vs
`100 cm`); percent against fraction (`50\\%` vs `0.5` are not equal).
"""

from __future__ import annotations

from gainrl.checkers.extraction import extract_answer
from gainrl.checkers.normalize import (
    is_text_answer,
    latex_number,
    normalize_answer,
    numbers_equal,
    parse_number,
    strip_simple_lhs,
)
from gainrl.checkers.paper_rules import paper_equal
from gainrl.checkers.symbolic import symbolic_equal

DEFAULT_TIMEOUT_S = 5.0
MAX_SYMBOLIC_CHARS = 2_000
MODES = ("standard", "paper")


def math_equal(prediction: str | None, reference: str | None, *, mode: str = "standard",
               timeout: float = DEFAULT_TIMEOUT_S) -> bool:
    """True when `prediction` and `reference` denote the same answer (see the module docstring for the rules)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if prediction is None or reference is None or not str(prediction).strip() or not str(reference).strip():
        return False
    if mode == "paper":
        return paper_equal(str(prediction), str(reference))
    predicted, expected = canonical_pair(str(prediction), str(reference))
    if predicted == expected:
        return True
    if is_text_answer(predicted) or is_text_answer(expected):
        return " ".join(predicted.casefold().split()) == " ".join(expected.casefold().split())
    predicted_number, expected_number = parse_number(predicted), parse_number(expected)
    if predicted_number is not None and expected_number is not None:
        return numbers_equal(predicted_number, expected_number)
    if predicted_number is not None:  # math-verify reads `1e400` as 1 * e * 400
        predicted = latex_number(predicted_number)
    if expected_number is not None:
        expected = latex_number(expected_number)
    if max(len(predicted), len(expected)) > MAX_SYMBOLIC_CHARS:
        return False
    return symbolic_equal(predicted, expected, timeout)


def canonical_pair(prediction: str, reference: str) -> tuple[str, str]:
    """Both answers normalised, with a lone `x =` dropped when the other side is a value (`x = 5 \\%` -> `5`)."""
    predicted, expected = normalize_answer(prediction), normalize_answer(reference)
    predicted, expected = strip_simple_lhs(predicted, expected), strip_simple_lhs(expected, predicted)
    return normalize_answer(predicted), normalize_answer(expected)


def score_math(completion: str | None, reference: str | None, *, mode: str = "standard",
               timeout: float = DEFAULT_TIMEOUT_S) -> float:
    """1.0 when the completion's final answer equals the reference, else 0.0."""
    return float(math_equal(extract_answer(completion), reference, mode=mode, timeout=timeout))
