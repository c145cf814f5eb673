"""String normalisation and plain-number comparison for final answers, the cheap part of `math_equal`.

`normalize_answer` removes what math-verify does not: math delimiters, spacing commands, `\\left`/`\\right`,
`\\dfrac`/`\\tfrac`, thousands separators (commas, also `,\\!`, or spaces; never a group after a leading 0),
and units, degrees, `\\%` and `\\$` around a number; `\\text{...}` words become plain words; a mixed number `1 1/2`
becomes `\\frac{3}{2}`. `unit_power` says which power of its unit a number carries (`5 cm^2` -> 2).
`parse_number` reads integers, decimals and scientific notation (`1.5e3`, `1.5 \\times 10^{3}`) exactly as
`Decimal`s. Every function is linear in its input.

What it does not cover: symbolic equivalence (fractions, radicals, sets, expressions); `math_equal` hands those to
math-verify. Units are only removed when a number precedes them, so `5x` stays an expression.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from gainrl.checkers.extraction import BOX_COMMANDS, braced_content

RELATIVE_TOLERANCE = Decimal("1e-6")
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_REMOVE = ("\\displaystyle", "\\left.", "\\right.", "\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\ ", "{,}", "~")
_REPLACE = (("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\le ", "\\leq "), ("\\ge ", "\\geq "), ("−", "-"))
_TEXT_COMMAND = r"\\(?:text|textbf|textrm|mbox|mathrm|operatorname)\s*\{([^{}]*)\}"
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
# thousands grouped by commas or spaces; no grouping starts with a 0 group (`0,111` is a list)
_GROUPED_NUMBER = r"[+-]?[1-9]\d{0,2}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?"
_SPACED_THOUSANDS = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3})")  # `32,\! 349`: a thousands comma, not a pair
_UNIT_WORDS = r"(?:[A-Za-z]{2,}\.?(?:\s+[A-Za-z]{2,}\.?)*)"
_UNIT_POWER = r"(?:\s*\^\s*\{?(?P<power>\d)\}?)?"  # cm^2, \text{ m}^{3}
_NUMBER_WITH_UNIT = re.compile(
    rf"^(\\?\$)?\s*({_GROUPED_NUMBER}|{_NUMBER})\s*"
    rf"(?:\\?%|\\?\$|\^\s*\{{?\\circ\}}?|°|(?P<unit>(?:{_TEXT_COMMAND}\s*)+|\s{_UNIT_WORDS}){_UNIT_POWER})?$"
)
_TIMES_TEN = re.compile(rf"^({_NUMBER})\s*(?:\\times|\\cdot|\*)\s*10\s*\^\s*\{{?\s*([+-]?\d+)\s*\}}?$")
_PLAIN_NUMBER = re.compile(rf"^{_NUMBER}$")
_NUMBER_LIST = re.compile(rf"^{_NUMBER}(?:\s*,\s*{_NUMBER})+$")
_MIXED_NUMBER = re.compile(r"^(\d+) (\d+)/(\d+)$")  # `1 1/2` is 3/2
_SIMPLE_LHS = re.compile(r"^\s*(?:[A-Za-z](?:_\{?\w+\}?)?|\\[A-Za-z]+)\s*$")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z\s'’,.-]*$")
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")


def normalize_answer(answer: str) -> str:
    """A canonical string for an answer; equal strings mean equal answers."""
    text = _cleaned(answer)
    number = _number_with_unit(text)
    if number is not None:
        return number
    return " ".join(re.sub(_TEXT_COMMAND, r"\1", text).split())


def _cleaned(answer: str) -> str:
    text = _strip_delimiters(_unbox(answer.strip().rstrip(".").strip()))
    if "\\!" in text:
        text = _SPACED_THOUSANDS.sub(",", text)
    if "/" in text:
        text = _MIXED_NUMBER.sub(lambda m: f"\\frac{{{int(m[1]) * int(m[3]) + int(m[2])}}}{{{m[3]}}}", text)
    # `\\` (a matrix row break) is kept out of the edits, so `\\ ` is not read as the spacing command `\ `
    text = "\\\\".join(_remove_spacing(row) for row in text.split("\\\\"))
    return " ".join(text.split()).rstrip(".").strip()


def unit_power(answer: str) -> str | None:
    """The power of the unit after a number (`5 cm^2` -> "2", `5 cm` -> "1"), None when no unit follows one."""
    match = _NUMBER_WITH_UNIT.match(_cleaned(answer))
    if match is None or match.group("unit") is None:
        return None
    return match.group("power") or "1"


def strip_simple_lhs(answer: str, other: str) -> str:
    """`x = 5` -> `5` when the other side is not an equation and the left side is a lone variable."""
    if "=" in other or answer.count("=") != 1:
        return answer
    left, right = answer.split("=")
    return right.strip() if _SIMPLE_LHS.match(left) and right.strip() else answer


def is_number_list(answer: str) -> bool:
    """`0,1` or `1, 22`: a list of numbers (a normalised answer, so no thousands grouping), never a decimal comma."""
    return bool(_NUMBER_LIST.match(answer))


def is_text_answer(answer: str) -> bool:
    """Words rather than mathematics (e.g. `Monday`, `no solution`): compared as text, never as a product of symbols."""
    return bool(_WORDS.match(answer)) and bool(_LONG_WORD.search(answer))


def _remove_spacing(text: str) -> str:
    for token in _REMOVE:
        text = text.replace(token, "" if token != "\\ " else " ")
    for old, new in _REPLACE:
        text = text.replace(old, new)
    return text


def parse_number(answer: str) -> Decimal | None:
    """The exact value of a plain number (`-2.50`, `1e3`, `1.5 \\times 10^{3}`), None for anything else."""
    scaled = _TIMES_TEN.match(answer)
    try:
        if scaled:
            return Decimal(scaled.group(1)).scaleb(int(scaled.group(2)))
        return Decimal(answer) if _PLAIN_NUMBER.match(answer) else None
    except (InvalidOperation, ValueError, ArithmeticError):
        return None


def latex_number(value: Decimal) -> str:
    """A plain number as math-verify reads it: positional digits, or `m \\times 10^{e}` for extreme exponents."""
    sign, digits, exponent = value.normalize().as_tuple()
    if isinstance(exponent, int) and -30 <= exponent + len(digits) <= 30:
        return format(value.normalize(), "f")
    mantissa = value.scaleb(-value.adjusted()).normalize()
    return f"{format(mantissa, 'f')} \\times 10^{{{value.adjusted()}}}"


def numbers_equal(first: Decimal, second: Decimal, float_rounding: int | None = None) -> bool:
    """Integers exactly; other numbers within a relative tolerance of 1e-6 (relative also for tiny values, so
    `7.25e-11` is not `7.25e-10`), or, with `float_rounding=n`, equal once rounded to n places (math-verify's rule)."""
    if first == second:
        return True
    if _is_integral(first) and _is_integral(second):
        return False
    try:
        if float_rounding is not None:
            places = Decimal(1).scaleb(-float_rounding)
            return first.quantize(places, ROUND_HALF_EVEN) == second.quantize(places, ROUND_HALF_EVEN)
        return abs(first - second) <= RELATIVE_TOLERANCE * max(abs(first), abs(second))
    except ArithmeticError:  # exponents beyond the decimal context: only exact equality counts
        return False


def _is_integral(value: Decimal) -> bool:
    try:
        return value == value.to_integral_value()
    except ArithmeticError:
        return True  # so large that it has no fractional digits


def _unbox(text: str) -> str:
    """`\\boxed{X}` -> `X` when the box is the whole answer."""
    for command in BOX_COMMANDS:
        if text.startswith(command + "{") and text.endswith("}"):
            inner = braced_content(text, len(command))
            if inner is not None and len(command) + len(inner) + 2 == len(text):
                return inner.strip().rstrip(".").strip()
    return text


def _strip_delimiters(text: str) -> str:
    for opening, closing in _DELIMITERS:
        if len(text) >= len(opening) + len(closing) and text.startswith(opening) and text.endswith(closing):
            return text[len(opening):len(text) - len(closing)].strip()
    return text


def _number_with_unit(text: str) -> str | None:
    match = _NUMBER_WITH_UNIT.match(text)
    return None if match is None else match.group(2).replace(",", "").replace(" ", "")

