"""Reward functions for `gainrl train`, chosen by name, in TRL's reward-function convention.

    accuracy   1.0 when the completion's final answer equals the row's reference answer (`gainrl.checkers.score_math`,
               math-verify with bounded time), else 0.0; a GSM8K-style reference "... #### 72" counts as "72";
               `gainrl train`'s reward_* settings are score_math's options (prose fallback, float rounding,
               strictness, set-relation comparison)
    format     1.0 when the completion ends its reasoning with a `\\boxed{...}` final answer, else 0.0
    code, code_partial   the completion's program against the row's tests in the sandbox (`gainrl.train.code_rewards`)
    pkg.module:function   any importable function with TRL's signature (a user's own reward)

TRL calls each function as `f(prompts=, completions=, completion_ids=, **columns)` with one list entry per
completion; conversational completions are lists of messages. The accuracy reward is the one the curriculum reads
its success rate from (success = reward above `success_threshold`), whatever scale other rewards use.

What it does not cover: reward weighting (TRL's `reward_weights`).
"""

from __future__ import annotations

import importlib
from typing import Callable

from gainrl.checkers import score_math
from gainrl.checkers.extraction import extract_boxed, reference_answer

BUILT_IN = ("accuracy", "format", "code", "code_partial")
MATH_OPTIONS = ("fallback", "float_rounding", "strict", "allow_set_relation_comp")  # keyword options of score_math


def completion_text(completion) -> str:
    """The text of a standard (string) or conversational (list of messages) completion."""
    if isinstance(completion, str):
        return completion
    return "".join(message.get("content") or "" for message in completion if message.get("role") == "assistant")


def make_accuracy_reward(answer_field: str = "answer", math_options: dict | None = None) -> Callable:
    """The accuracy reward; `math_options` are `score_math` keyword options (`MATH_OPTIONS`)."""
    unknown = set(math_options or {}) - set(MATH_OPTIONS)
    if unknown:
        raise ValueError(f"unknown accuracy-reward options {sorted(unknown)}: use {MATH_OPTIONS}")

    def accuracy(completions, **columns) -> list[float]:
        if answer_field not in columns:
            raise KeyError(f"the accuracy reward needs the dataset column {answer_field!r} (answer_field); "
                           f"columns seen: {sorted(columns)}")
        return [score_math(completion_text(c), reference_answer(a), **(math_options or {}))
                for c, a in zip(completions, columns[answer_field])]

    return accuracy


def format_reward(completions, **columns) -> list[float]:
    return [float(extract_boxed(completion_text(c)) is not None) for c in completions]


format_reward.__name__ = "format"


def import_reward(path: str) -> Callable:
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"reward function {path!r} cannot be imported ({error})") from None


def resolve_rewards(names: list[str], answer_field: str = "answer", math_options: dict | None = None,
                    code_settings=None) -> list[Callable]:
    """The functions for `reward_funcs` names, in order; unknown names are an error listing the choices.
    `code_settings`: a `gainrl.train.code_rewards.CodeRewardArguments` (default: its defaults)."""
    functions = []
    for name in names:
        if name in ("code", "code_partial"):
            from gainrl.train.code_rewards import CodeRewardArguments, make_code_reward

            functions.append(make_code_reward(name, code_settings or CodeRewardArguments(), completion_text))
        elif name == "accuracy":
            functions.append(make_accuracy_reward(answer_field, math_options))
        elif name == "format":
            functions.append(format_reward)
        elif ":" in name:
            functions.append(import_reward(name))
        else:
            raise ValueError(f"unknown reward function {name!r}: use one of {BUILT_IN} or 'package.module:function'")
    return functions
