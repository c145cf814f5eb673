"""Prompt settings shared by scoring, training and evaluation, and the token segments of a rendered prompt.

A prompt is [system (if any), few-shot user/assistant pairs, user: the question stripped], rendered with the
tokenizer's chat template (`add_generation_prompt=True`) and tokenized with offsets. Segments come from the
character span [qs, qe) of the question's last occurrence in the rendered text: P = tokens ending at or before
qs; Q = tokens overlapping [qs, qe); tokens after the question (the template tail) belong to neither. No token
offsets are hard-coded, so any chat model works.

What it does not cover: models without a chat template (an error), multimodal inputs, and multi-turn questions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gainrl.angles import PROMPT_SEGMENT, QUESTION_SEGMENT

PAPER_SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it.\n"
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. Let's think step by step and output the final answer within \\boxed{}."
)
# Code tasks: score with `--system-prompt "<CODE_SYSTEM_PROMPT>" --few-shot none` (recipe keys `system_prompt`,
# `few_shot: none`); `gainrl train` then renders the recorded settings, so both prompts are identical.
CODE_SYSTEM_PROMPT = ("You are a careful Python programmer. Solve the task and give your complete solution in one "
                      "```python code block.")
PAPER_FEW_SHOT = (("What is 2+2?", "To calculate 2+2, we simply add the numbers together: 2 + 2 = 4. "
                                   "The answer is \\boxed{4}"),)


@dataclass(frozen=True)
class PromptSettings:
    """System prompt (None for none) and few-shot (user, assistant) pairs; defaults are the paper's."""

    system_prompt: str | None = PAPER_SYSTEM_PROMPT
    few_shot: tuple[tuple[str, str], ...] = PAPER_FEW_SHOT

    @classmethod
    def from_flags(cls, system_prompt: str | None = None, few_shot: str | None = None) -> "PromptSettings":
        """`--system-prompt` ("" = none, None = paper's) and `--few-shot` (JSON file of pairs, "none", or None)."""
        system = PAPER_SYSTEM_PROMPT if system_prompt is None else (system_prompt or None)
        if few_shot is None:
            pairs = PAPER_FEW_SHOT
        elif few_shot.lower() == "none":
            pairs = ()
        else:
            pairs = load_few_shot(few_shot)
        return cls(system_prompt=system, few_shot=pairs)

    def messages(self, question: str) -> list[dict]:
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        for user, assistant in self.few_shot:
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        return messages + [{"role": "user", "content": question.strip()}]

    def to_dict(self) -> dict:
        return {"system_prompt": self.system_prompt, "few_shot": [list(pair) for pair in self.few_shot]}

    @classmethod
    def from_dict(cls, data: dict) -> "PromptSettings":
        return cls(system_prompt=data.get("system_prompt"), few_shot=tuple(tuple(p) for p in data["few_shot"]))

    def digest(self) -> str:
        """A short hash of the settings, recorded with every output that used them."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def load_few_shot(path: str) -> tuple[tuple[str, str], ...]:
    try:
        pairs = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"--few-shot {path}: cannot read a JSON list of [user, assistant] pairs ({error})") from None
    valid = isinstance(pairs, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p) for p in pairs)
    if not valid:
        raise ValueError(f"--few-shot {path}: expected a JSON list of [user, assistant] string pairs")
    return tuple(tuple(p) for p in pairs)


@dataclass
class SegmentedPrompt:
    """Token ids of one rendered prompt (after truncation) and each token's segment (0, P=1 or Q=2)."""

    input_ids: list[int]
    segments: np.ndarray = field(repr=False)
    truncated: bool

    @property
    def prompt_tokens(self) -> int:
        return len(self.input_ids)

    @property
    def question_tokens(self) -> int:
        return int((self.segments == QUESTION_SEGMENT).sum())

    @property
    def system_tokens(self) -> int:
        return int((self.segments == PROMPT_SEGMENT).sum())


def render(tokenizer, settings: PromptSettings, question: str) -> str:
    if not tokenizer.chat_template:
        raise ValueError("the tokenizer has no chat template; gainrl renders prompts with the model's own template")
    return tokenizer.apply_chat_template(settings.messages(question), tokenize=False, add_generation_prompt=True)


def segment_prompt(tokenizer, settings: PromptSettings, question: str, max_length: int) -> SegmentedPrompt:
    """Render, tokenize with offsets, truncate on the right at `max_length` and label P and Q tokens."""
    text, stripped = render(tokenizer, settings, question), question.strip()
    start = text.rfind(stripped)
    if start < 0:
        raise ValueError("the question does not appear verbatim in the rendered chat template")
    end = start + len(stripped)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = np.asarray(encoding["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    segments = np.zeros(len(offsets), dtype=np.int8)
    segments[offsets[:, 1] <= start] = PROMPT_SEGMENT
    segments[(offsets[:, 0] < end) & (offsets[:, 1] > start)] = QUESTION_SEGMENT
    ids = list(encoding["input_ids"])
    return SegmentedPrompt(ids[:max_length], segments[:max_length], truncated=len(ids) > max_length)
