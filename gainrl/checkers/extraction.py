"""Find the final answer in a model's completion.

The final answer is the LAST one by position among:
  boxes     `\\boxed{...}` / `\\fbox{...}` (nested braces; also the brace-less `\\boxed 5`); consecutive boxes
            separated only by commas, "and", `\\text{and}`, `\\quad`, `$` or spacing form one multi-part answer,
            returned joined by ", " (`\\boxed{1},\\boxed{2}` -> `1, 2`), which `math_equal` compares as a tuple or a
            set as the reference is written;
  markers   "The final answer is", "Final Answer:", "the answer is", anywhere in the completion; the value runs to
            its closing delimiter when it opens one (`$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]`), else to the end
            of the sentence or line ("The final answer is $8$. I hope it is correct." -> `8`).
A marked value with words and a number is reduced to its last number or math span ("Final Answer: The largest $n$
is 34." -> `34`). Only when there is neither box nor marker: the last GSM8K `#### N` line; then, with
`fallback=True` (the default, chosen by measurement: bench/RESULTS.md, "the math reward against public checker
suites") and no box command or `####` at all, the prose fallback: the last math span (`$...$`, `\\(...\\)`, ...) or
the last number after it (within the last 4,000 characters), or the whole text when it is a short formula without
words. Every scan is linear in the text length, so megabyte completions and thousands of nested braces cost
milliseconds.

What it refuses: a marker followed by a sentence of prose ("the answer is consistent with ...") is no answer; an
unclosed (truncated) box or an empty one is skipped and never falls back to prose; inline math (`$`, `\\(`) does
not span lines, and math delimiters that never close in prose give no answer. What it does not cover:
multiple-choice letters without a marker, and deciding which of several separated boxed answers the model "meant"
(the last one wins).
"""

from __future__ import annotations

import re

BOX_COMMANDS = ("\\boxed", "\\fbox")
DEFAULT_FALLBACK = True
_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_MARKER = re.compile(r"final\s+answer\s*(?:is\b\s*:?|:)|\bthe\s+answer\s+is\b\s*:?", re.IGNORECASE)
_BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character (such as \{) or a brace
_BOX_SEPARATOR = re.compile(r"(?:\s|,|;|\$|&|~|\\[,;: ]|\\q?quad\b|\\text\s*\{\s*and\s*\}|\band\b|\\\(|\\\))*")
_MAX_SEPARATOR_CHARS = 60
_OPENERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_SENTENCE_END = re.compile(r"\.(?=\s|$)|\n|\bI hope it is correct")
_MATH_SPAN = re.compile(  # `\$` inside is an escaped dollar, not a closing one; inline math stays on one line
    r"(?<!\\)\$\$((?:\\.|[^$\\]){1,1000}?)\$\$|(?<!\\)\$((?:\\.|[^$\\\n]){1,1000}?)\$"
    r"|\\\(([^\n]{1,1000}?)\\\)|\\\[(.{1,1000}?)\\\]", re.DOTALL)
_NUMBER = re.compile(r"(?:(?<![\w)])-)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?|(?<![\w)])-?\.\d+")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_BRACE_GROUP = re.compile(r"\{[^{}]*\}")
_MAX_MARKED_WORDS = 4
_MAX_FORMULA_CHARS = 80
_MAX_VALUE_CHARS = 2_000
_FALLBACK_WINDOW = 4_000


def extract_answer(text: str | None, *, fallback: bool = DEFAULT_FALLBACK) -> str | None:
    """The final answer of a completion, or None when it gives none (see the module docstring)."""
    if not text:
        return None
    candidates = [c for c in (_last_box_group(text), _last_marked(text)) if c is not None]
    if candidates:
        return max(candidates)[1]
    answer = hash_answer(text)
    if answer is None and fallback and not _BOX.search(text) and "####" not in text:  # no fallback for truncations
        answer = prose_answer(text)
    return (answer or "").strip() or None


def extract_boxed(text: str | None) -> str | None:
    """Only the last `\\boxed{...}` / `\\fbox{...}` (the reference's extraction), or None."""
    if not text:
        return None
    boxes = _boxes(text)
    return boxes[-1][2] if boxes else None


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every outermost non-empty box, in order."""
    closing, boxes, covered_until = _matching_braces(text), [], -1
    for match in _BOX.finditer(text):
        if match.start() < covered_until:
            continue  # a box inside an earlier box: the outer one is the answer
        box = _box_at(text, match.end(), closing)
        if box is not None:
            covered_until = box[0]
            if box[1].strip():
                boxes.append((match.start(), box[0], box[1].strip()))
    return boxes


def _box_at(text: str, rest: int, closing: dict[int, int]) -> tuple[int, str] | None:
    """(end, content) of the box whose command ends at `rest`, None when it never closes."""
    if rest < len(text) and text[rest] == "{":
        close = closing.get(rest)
        return None if close is None else (close + 1, text[rest + 1:close])
    if rest < len(text) and text[rest] == " ":  # `\boxed 5`: up to `$`, end of line or end of text
        end = min([p for p in (text.find("$", rest + 1), text.find("\n", rest + 1)) if p >= 0] or [len(text)])
        return end, text[rest + 1:end]
    return None


def _matching_braces(text: str) -> dict[int, int]:
    """Opening brace position -> its closing brace position, in one pass."""
    stack, closing = [], {}
    for token in _BRACE_TOKENS.finditer(text):
        if token.group() == "{":
            stack.append(token.start())
        elif token.group() == "}" and stack:
            closing[stack.pop()] = token.start()
    return closing


def braced_content(text: str, open_brace: int) -> str | None:
    """Content of the brace group opening at `open_brace`, None when it never closes (a truncated completion)."""
    depth = 0
    for token in _BRACE_TOKENS.finditer(text, open_brace):
        if token.group() == "{":
            depth += 1
        elif token.group() == "}":
            depth -= 1
            if depth == 0:
                return text[open_brace + 1:token.start()]
    return None


def _last_box_group(text: str) -> tuple[int, str] | None:
    """(start, answer) of the last run of boxes joined only by separators."""
    boxes = _boxes(text)
    if not boxes:
        return None
    first = len(boxes) - 1
    while first > 0:
        gap = text[boxes[first - 1][1]:boxes[first][0]]
        if len(gap) > _MAX_SEPARATOR_CHARS or not _BOX_SEPARATOR.fullmatch(gap):
            break
        first -= 1
    parts = dict.fromkeys(content for _, _, content in boxes[first:])  # `\boxed{5} \boxed{5}` is one answer
    return boxes[first][0], ", ".join(parts)


def _last_marked(text: str) -> tuple[int, str] | None:
    """(start, value) of the last marker with an answer after it."""
    for marker in reversed(list(_MARKER.finditer(text))):
        value = _marked_value(text, marker.end())
        if value:
            return marker.start(), value
    return None


def _marked_value(text: str, start: int) -> str | None:
    while start < len(text) and text[start] in " \t*:":
        start += 1
    if text.startswith(BOX_COMMANDS, start):
        return None  # the box itself is a candidate
    for opening, closing in _OPENERS:
        if text.startswith(opening, start):
            end = text.find(closing, start + len(opening), start + _MAX_VALUE_CHARS)
            if end >= 0:
                return text[start + len(opening):end].strip().rstrip(".").strip()
    limit = min(len(text), start + _MAX_VALUE_CHARS)  # bounded, so many markers cost linear time
    sentence_end = _SENTENCE_END.search(text, start, limit)
    value = text[start:sentence_end.start() if sentence_end else limit].strip().rstrip(".").strip()
    words = len(_PROSE_WORD.findall(_BRACE_GROUP.sub("", value)))  # `5 \text{ square units}` has no prose
    if words > 1 and any(c.isdigit() or c == "$" for c in value):  # "The largest $n$ is 34" -> 34
        return prose_answer(value)
    return None if words > _MAX_MARKED_WORDS else value


def hash_answer(text: str) -> str | None:
    """GSM8K's final answer, the one parser of it: what follows the last `####` on its line, stripped; None when
    there is no `####` or nothing after it."""
    position = text.rfind("####")
    if position < 0:
        return None
    line_end = text.find("\n", position)
    value = text[position + 4:line_end if line_end >= 0 else len(text)].strip()
    return value or None


def reference_answer(value) -> str | None:
    """The final answer of a reference: its `####` answer when it has that line (GSM8K), else the whole value."""
    if value is None:
        return None
    text = str(value)
    return (hash_answer(text) or "") if "####" in text else text


def prose_answer(text: str) -> str | None:
    """The prose fallback: the last math span or the last number after it, whichever comes last; a short formula
    without words is the whole text; math delimiters that never close (or inline math over several lines) give None."""
    text = text[-_FALLBACK_WINDOW:]  # the last expression is near the end; this bounds the span search
    spans = list(_MATH_SPAN.finditer(text))
    if not spans:
        stripped = text.strip().rstrip(".").strip()
        if len(stripped) <= _MAX_FORMULA_CHARS and "\n" not in stripped and len(_PROSE_WORD.findall(stripped)) <= 1:
            return stripped  # `$1,000.99` (a currency sign) too
        if any(opening in text for opening in ("$", "\\(", "\\[")):
            return None
    numbers = list(_NUMBER.finditer(text, spans[-1].end() if spans else 0))
    if numbers:
        return numbers[-1].group()
    return next(group for group in spans[-1].groups() if group is not None).strip() if spans else None
