"""The reference implementation's answer rules, for the paper-faithful evaluation preset (`mode="paper"`).

Numbers within an absolute 1e-5 of each other are equal; otherwise both answers go through a reduced Hendrycks
normalisation (newlines, `\\!`, `\\\\`, `\\tfrac`/`\\dfrac`, `\\left`/`\\right`, degrees, `\\$`, `\\%`, a leading 0,
a short `k=` prefix, `\\frac12` -> `\\frac{1}{2}`, `0.5` -> `\\frac{1}{2}`, `a/b` -> `\\frac{a}{b}`, spaces) and must
match exactly. Written from the description in the method notes, not copied.

What it does not cover, on purpose: units, `\\sqrt2`, equivalent expressions, sets and intervals. These rules are
stricter than `math_equal`'s default and exist only so that paper numbers can be reproduced.
"""

from __future__ import annotations

ABSOLUTE_TOLERANCE = 1e-5
_REMOVE = ("\n", "\\!", "\\left", "\\right", "^{\\circ}", "^\\circ", "\\$", "\\%")


def paper_equal(prediction: str, reference: str) -> bool:
    """The reference's verdict: numeric within 1e-5, else equality after its normalisation."""
    try:
        return abs(float(prediction) - float(reference)) <= ABSOLUTE_TOLERANCE
    except (ValueError, OverflowError):
        pass
    return paper_normalize(prediction) == paper_normalize(reference)


def paper_normalize(answer: str) -> str:
    text = answer.replace("\\\\", "\\")
    for token in _REMOVE:
        text = text.replace(token, "")
    text = text.replace("tfrac", "frac").replace("dfrac", "frac")
    text = text.replace(" .", " 0.").replace("{.", "{0.")
    if text.startswith("."):
        text = "0" + text
    sides = text.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:
        text = sides[1]
    text = _brace_fractions(text).replace(" ", "")
    if text == "0.5":
        text = "\\frac{1}{2}"
    return _slash_fraction(text)


def _brace_fractions(text: str) -> str:
    """`\\frac12` -> `\\frac{1}{2}`, `\\frac1{2}` -> `\\frac{1}{2}`, `\\frac{1}2` -> `\\frac{1}{2}`."""
    head, *pieces = text.split("\\frac")
    rebuilt = [head]
    for piece in pieces:
        rebuilt.append("\\frac" + _brace_fraction_arguments(piece))
    return "".join(rebuilt)


def _brace_fraction_arguments(piece: str) -> str:
    if piece.startswith("{"):
        close = piece.find("}")
        if close < 0 or close + 1 >= len(piece) or piece[close + 1] == "{":
            return piece
        return piece[:close + 1] + "{" + piece[close + 1] + "}" + piece[close + 2:]
    if len(piece) < 2:
        return piece
    numerator, rest = piece[0], piece[1:]
    if rest.startswith("{"):
        return "{" + numerator + "}" + rest
    return "{" + numerator + "}{" + rest[0] + "}" + rest[1:]


def _slash_fraction(text: str) -> str:
    parts = text.split("/")
    if len(parts) != 2 or not all(part.lstrip("-").isdigit() for part in parts):
        return text
    numerator, denominator = parts
    return f"\\frac{{{numerator}}}{{{denominator}}}"
