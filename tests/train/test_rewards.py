"""Tests for gainrl.train.rewards: the built-in rewards on standard and conversational completions, GSM8K references,
user rewards by import path, and clear errors.

Run: python -m pytest tests/train/test_rewards.py -v
"""

import pytest

from gainrl.train.rewards import completion_text, reference_answer, resolve_rewards


def conversational(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def test_accuracy_and_format_on_both_completion_kinds():
    accuracy, format_reward = resolve_rewards(["accuracy", "format"])
    completions = ["so \\boxed{\\frac{1}{2}}", conversational("it is 0.5, \\boxed{0.5}"), "the answer is 3", ""]
    answers = ["0.5", "1/2", "4", "1"]
    assert accuracy(completions=completions, answer=answers, prompts=[None] * 4) == [1.0, 1.0, 0.0, 0.0]
    assert format_reward(completions=completions, prompts=[None] * 4) == [1.0, 1.0, 0.0, 0.0]
    assert (accuracy.__name__, format_reward.__name__) == ("accuracy", "format")


def test_answer_field_and_gsm8k_references():
    (accuracy,) = resolve_rewards(["accuracy"], answer_field="solution")
    assert accuracy(completions=["\\boxed{72}", "\\boxed{7}"], solution=["48+24=72\n#### 72", "#### 72"]) == [1.0, 0.0]
    assert reference_answer("It is 5.\n#### 1,000 ") == "1,000" and reference_answer(3) == "3"
    with pytest.raises(KeyError, match="answer_field"):
        accuracy(completions=["\\boxed{1}"], answer=["1"])


def test_user_reward_by_import_path_and_unknown_names():
    (imported,) = resolve_rewards(["gainrl.train.rewards:completion_text"])
    assert imported is completion_text
    with pytest.raises(ValueError, match="cannot be imported"):
        resolve_rewards(["gainrl.train.rewards:nothing_here"])
    with pytest.raises(ValueError, match="unknown reward function 'acc'"):
        resolve_rewards(["acc"])


def test_accuracy_reward_options_are_score_math_options():
    completions, answers = ["so \\boxed{0.33}", "We get $x = 4$ in the end"], ["\\frac{1}{3}", "4"]
    (default,) = resolve_rewards(["accuracy"])
    (options,) = resolve_rewards(["accuracy"], math_options={"float_rounding": 2, "fallback": False})
    assert default(completions=completions, answer=answers) == [0.0, 1.0]
    assert options(completions=completions, answer=answers) == [1.0, 0.0]
    with pytest.raises(ValueError, match="unknown accuracy-reward options"):
        resolve_rewards(["accuracy"], math_options={"precision": 2})


def test_train_flags_reach_the_accuracy_reward():
    from transformers import HfArgumentParser

    from gainrl.train.command import TrainArguments
    from gainrl.train.rewards import MATH_OPTIONS

    (args,) = HfArgumentParser(TrainArguments).parse_args_into_dataclasses(
        ["--output_dir", "unused", "--model_name_or_path", "m", "--dataset_name", "d", "--reward_float_rounding", "2",
         "--reward_fallback", "false",
         "--reward_strict", "false", "--reward_allow_set_relation_comp", "true"])
    assert {option: getattr(args, f"reward_{option}") for option in MATH_OPTIONS} == {
        "fallback": False, "float_rounding": 2, "strict": False, "allow_set_relation_comp": True}
