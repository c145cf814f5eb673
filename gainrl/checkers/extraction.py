"""Find the final answer in a model's completion.

Order of preference: the content of the last `\\boxed{...}` or `\\fbox{...}` (nested braces; also the brace-less
`\\boxed 5` form), else the last GSM8K `#### N` line, else a trailing "The (final) answer is X". Every scan is
linear in the text length (no regular expression runs over the whole completion), so megabyte completions and
thousands of nested braces cost milliseconds.

What it does not cover: answers given only in prose without one of these markers, multiple-choice letters written
without a marker, and deciding which of several boxed answers the model "meant" (the last one wins).
"""

from __future__ import annotations

import re

BOX_COMMANDS = ("\\boxed", "\\fbox")
_ANSWER_IS = re.compile(r"the\s+(?:final\s+)?answer\s+is\s*:?\s*", re.IGNORECASE)
_BRACE_TOKENS = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character (such as \{) or a brace
_TAIL_CHARS = 400  # "The answer is X" must appear near the end of the completion


def extract_answer(text: str | None) -> str | None:
    """The final answer of a completion, or None when it gives none."""
    if not text:
        return None
    for extractor in (_last_boxed, _last_hash_line, _trailing_answer_is):
        answer = extractor(text)
        if answer is not None:
            return answer.strip() or None
    return None


def extract_boxed(text: str | None) -> str | None:
    """Only the last `\\boxed{...}` / `\\fbox{...}` (the reference's extraction), or None."""
    if not text:
        return None
    return (_last_boxed(text) or "").strip() or None


def _last_boxed(text: str) -> str | None:
    start = max(text.rfind(command) for command in BOX_COMMANDS)
    if start < 0:
        return None
    command = next(c for c in BOX_COMMANDS if text.startswith(c, start))
    rest = start + len(command)
    if rest < len(text) and text[rest] == "{":
        return braced_content(text, rest)
    if rest < len(text) and text[rest] == " ":  # `\boxed 5`: up to `$`, end of line or end of text
        end = len(text)
        for stop in ("$", "\n"):
            found = text.find(stop, rest + 1)
            end = found if 0 <= found < end else end
        return text[rest + 1:end]
    return None


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


def _last_hash_line(text: str) -> str | None:
    position = text.rfind("####")
    if position < 0:
        return None
    line_end = text.find("\n", position)
    value = text[position + 4:line_end if line_end >= 0 else len(text)].strip()
    return value or None


def _trailing_answer_is(text: str) -> str | None:
    tail = text[-_TAIL_CHARS:]
    matches = list(_ANSWER_IS.finditer(tail))
    if not matches:
        return None
    value = tail[matches[-1].end():].strip()
    value = value.split("\n", 1)[0].strip()
    value = value.rstrip(".").strip()
    if len(value) >= 2 and value.startswith("$") and value.endswith("$"):
        value = value.strip("$").strip()
    return value or None
