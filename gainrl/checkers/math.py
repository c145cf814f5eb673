"""`math_equal` and `score_math`: is a model's final answer the reference answer?

Standard mode, cheapest test first: both normalised strings equal; words compared as words; plain numbers compared
exactly as decimals (integers exactly, others within a relative 1e-6, relative also for tiny values); everything else
(fractions, radicals, pi, tuples, intervals, sets, matrices, equations, algebraic expressions) by math-verify in a
worker process with a hard time limit (`gainrl.checkers.symbolic`), so a call returns within `timeout` seconds from
any thread or process. `mode="paper"` applies the reference implementation's stricter rules instead (`paper_rules`).

Accepted as equal, beyond math-verify: units written as words or `\\text{}` after a number (`5\\text{ cm}` = 5),
degrees, `\\%` and `\\$` around a number, thousands separators (`32,\\! 349`, `1 000`), `x = 5` against 5,
scientific notation against positional decimals and fractions, a mixed number `1 1/2`; a multi-part answer from
several boxes (`1, 2, 3`) against a set `\\{1,2,3\\}` (as a set) or a bare list or tuples (as written).
Refused, where math-verify may accept: a list of numbers against one number (`0,111` is neither 111 nor 0.111:
MATH writes lists as `0,1`), the same number with a different power of its unit (`5 cm^2` vs `5 cm^3`), tiny values
of different sign or exponent (math-verify rounds to 6 decimal places, so `7e-11` would equal `-7e-11`), `\\mathrm{e}`
read as a symbol rather than Euler's number. Keyword options, with math-verify's names and meanings: `float_rounding`
(decimal places for comparing decimals; default: the relative 1e-6 above for plain numbers, math-verify's 6
elsewhere), `strict` (False: variable names do not matter, sets may equal tuples), `allow_set_relation_comp` (a
relation such as `-2 \\le x \\le 7` may equal a gold interval); `score_math` adds `fallback` (`extract_answer`).

What it does not cover: answers longer than `MAX_SYMBOLIC_CHARS` after normalisation are only compared as strings;
multiple-choice letters against option text; answers whose equality depends on units conversion (`1 m` vs
`100 cm`); percent against fraction (`50\\%` vs `0.5` are not equal); rounded decimals against exact values beyond
the rounding (`125.663` is not `40\\pi` unless `float_rounding=3`).
"""

from __future__ import annotations

from decimal import Decimal

from gainrl.checkers.extraction import DEFAULT_FALLBACK, extract_answer
from gainrl.checkers.normalize import (
    is_number_list,
    is_text_answer,
    latex_number,
    normalize_answer,
    numbers_equal,
    parse_number,
    strip_simple_lhs,
    unit_power,
)
from gainrl.checkers.paper_rules import paper_equal
from gainrl.checkers.symbolic import symbolic_equal

DEFAULT_TIMEOUT_S = 5.0
MAX_SYMBOLIC_CHARS = 2_000
TINY = Decimal("1e-3")  # plain numbers below this are compared with a formula after scaling (`_scaled`)
MODES = ("standard", "paper")


def math_equal(prediction: str | None, reference: str | None, *, mode: str = "standard",
               timeout: float = DEFAULT_TIMEOUT_S, float_rounding: int | None = None, strict: bool = True,
               allow_set_relation_comp: bool = False) -> bool:
    """True when `prediction` and `reference` denote the same answer (see the module docstring for the rules and
    for the options, which carry math-verify's names and meanings)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if prediction is None or reference is None or not str(prediction).strip() or not str(reference).strip():
        return False
    if mode == "paper":
        return paper_equal(str(prediction), str(reference))
    if _unit_powers_differ(str(prediction), str(reference)):
        return False  # `5 cm^2` is not `5 cm^3`, though units are otherwise dropped
    predicted, expected = canonical_pair(str(prediction), str(reference))
    if predicted == expected:
        return True
    if is_text_answer(predicted) or is_text_answer(expected):
        return " ".join(predicted.casefold().split()) == " ".join(expected.casefold().split())
    predicted_number, expected_number = parse_number(predicted), parse_number(expected)
    if predicted_number is not None and expected_number is not None:
        return numbers_equal(predicted_number, expected_number, float_rounding)
    if (predicted_number is not None and is_number_list(expected)) or (
            expected_number is not None and is_number_list(predicted)):
        return False  # a list such as `0,111` is never one number (math-verify may read a decimal comma)
    if _is_tiny(expected_number) and predicted_number is None and _scalable(predicted):
        predicted, expected = _scaled(predicted, expected_number)
    elif _is_tiny(predicted_number) and expected_number is None and _scalable(expected):
        expected, predicted = _scaled(expected, predicted_number)
    else:  # math-verify reads `1e400` as 1 * e * 400
        predicted = predicted if predicted_number is None else latex_number(predicted_number)
        expected = expected if expected_number is None else latex_number(expected_number)
    if max(len(predicted), len(expected)) > MAX_SYMBOLIC_CHARS:
        return False
    options = {"strict": strict, "allow_set_relation_comp": allow_set_relation_comp}
    if float_rounding is not None:
        options["float_rounding"] = float_rounding
    return symbolic_equal(shaped_like(predicted, expected), expected, timeout, options)


def _is_tiny(number: Decimal | None) -> bool:
    return number is not None and number != 0 and abs(number) < TINY


def _scalable(formula: str) -> bool:
    return not any(token in formula for token in ("=", ",", "<", ">", "\\le", "\\ge", "\\in"))


def _scaled(formula: str, number: Decimal) -> tuple[str, str]:
    """math-verify rounds to 6 decimal places, so every value under 5e-7 would equal 0: compare `formula * 10^k`
    with `number * 10^k` instead, k bringing the number between 1 and 10."""
    power = -number.adjusted()
    return f"\\left({formula}\\right) \\cdot 10^{{{power}}}", latex_number(number.scaleb(power))


def shaped_like(predicted: str, expected: str) -> str:
    """A multi-part prediction (`1, 2, 3`, from several boxes) as a set when the reference is a set `\\{...\\}`."""
    if expected.startswith("\\{") and expected.endswith("\\}") and not predicted.startswith("\\{"):
        return f"\\{{{predicted}\\}}" if "," in predicted else predicted
    return predicted


def _unit_powers_differ(prediction: str, reference: str) -> bool:
    if "^" not in prediction and "^" not in reference:
        return False
    powers = unit_power(prediction), unit_power(reference)
    return None not in powers and powers[0] != powers[1]


def canonical_pair(prediction: str, reference: str) -> tuple[str, str]:
    """Both answers normalised, with a lone `x =` dropped when the other side is a value (`x = 5 \\%` -> `5`)."""
    predicted, expected = normalize_answer(prediction), normalize_answer(reference)
    stripped = strip_simple_lhs(predicted, expected), strip_simple_lhs(expected, predicted)
    # a second pass (`$\\boxed{5}$` needs two); an answer no pass changed is already canonical
    return tuple(text if text == raw else normalize_answer(text)
                 for text, raw in zip(stripped, (prediction, reference)))


def score_math(completion: str | None, reference: str | None, *, mode: str = "standard",
               timeout: float = DEFAULT_TIMEOUT_S, fallback: bool = DEFAULT_FALLBACK, float_rounding: int | None = None,
               strict: bool = True, allow_set_relation_comp: bool = False) -> float:
    """1.0 when the completion's final answer (`extract_answer`, with its prose `fallback` or not) equals the
    reference under `math_equal` and its options, else 0.0."""
    answer = extract_answer(completion, fallback=fallback)
    return float(math_equal(answer, reference, mode=mode, timeout=timeout, float_rounding=float_rounding,
                            strict=strict, allow_set_relation_comp=allow_set_relation_comp))
