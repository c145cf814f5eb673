"""Tests for gainrl.prompts: prompt settings and the P / Q token segments from chat-template offsets.

Run: python -m pytest tests/test_prompts.py -v
"""

import json

import pytest
from transformers import AutoTokenizer

from gainrl.angles import PROMPT_SEGMENT, QUESTION_SEGMENT
from gainrl.prompts import PAPER_FEW_SHOT, PAPER_SYSTEM_PROMPT, PromptSettings, render, segment_prompt


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return AutoTokenizer.from_pretrained(tiny_model_dir)


def decoded_segment(tokenizer, prompt, segment):
    return tokenizer.decode([t for t, s in zip(prompt.input_ids, prompt.segments) if s == segment])


def test_segments_are_prefix_question_and_tail(tokenizer):
    prompt = segment_prompt(tokenizer, PromptSettings(), "  Mia has 3 coins.\n", max_length=1024)
    assert decoded_segment(tokenizer, prompt, QUESTION_SEGMENT) == "Mia has 3 coins."
    prefix = decoded_segment(tokenizer, prompt, PROMPT_SEGMENT)
    assert prefix.startswith("<|im_start|>system\n" + PAPER_SYSTEM_PROMPT) and prefix.endswith("<|im_start|>user\n")
    labels = list(prompt.segments)
    first_question = labels.index(QUESTION_SEGMENT)
    assert set(labels[:first_question]) == {PROMPT_SEGMENT}
    assert tokenizer.decode(prompt.input_ids[first_question + prompt.question_tokens:]) == (
        "<|im_end|>\n<|im_start|>assistant\n")
    assert not prompt.truncated and prompt.prompt_tokens == len(prompt.input_ids)


def test_question_equal_to_the_few_shot_question_uses_its_last_occurrence(tokenizer):
    question = PAPER_FEW_SHOT[0][0]
    prompt = segment_prompt(tokenizer, PromptSettings(), question, max_length=1024)
    assert decoded_segment(tokenizer, prompt, QUESTION_SEGMENT) == question
    assert "2+2" in decoded_segment(tokenizer, prompt, PROMPT_SEGMENT)  # the few-shot copy stays in P


def test_truncation_is_on_the_right_and_flagged(tokenizer):
    full = segment_prompt(tokenizer, PromptSettings(), "Mia has 3 coins. " * 20, max_length=1024)
    cut = segment_prompt(tokenizer, PromptSettings(), "Mia has 3 coins. " * 20, max_length=full.prompt_tokens - 10)
    assert cut.truncated and cut.input_ids == full.input_ids[:full.prompt_tokens - 10]
    assert cut.question_tokens < full.question_tokens


def test_no_system_prompt_and_no_few_shot(tokenizer, tmp_path):
    settings = PromptSettings.from_flags(system_prompt="", few_shot="none")
    assert settings.messages(" q ") == [{"role": "user", "content": "q"}]
    prompt = segment_prompt(tokenizer, settings, "Mia has 3 coins.", max_length=1024)
    # the tiny template inserts its default system message; P is whatever precedes the question
    assert decoded_segment(tokenizer, prompt, PROMPT_SEGMENT).endswith("<|im_start|>user\n")


def test_few_shot_file_and_digest(tmp_path):
    path = tmp_path / "shots.json"
    path.write_text(json.dumps([["1+1?", "2"], ["2+3?", "5"]]))
    settings = PromptSettings.from_flags(system_prompt="Be brief.", few_shot=str(path))
    assert settings.few_shot == (("1+1?", "2"), ("2+3?", "5"))
    assert PromptSettings.from_dict(settings.to_dict()) == settings
    assert settings.digest() != PromptSettings().digest()
    roles = [m["role"] for m in settings.messages("q")]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]


@pytest.mark.parametrize("content", ["{}", "[[1, 2]]", "[[\"a\"]]", "not json"])
def test_bad_few_shot_files_are_clear_errors(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match="--few-shot"):
        PromptSettings.from_flags(few_shot=str(path))


def test_tokenizer_without_chat_template_is_an_error(tokenizer):
    bare = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    bare.chat_template = None
    with pytest.raises(ValueError, match="chat template"):
        render(bare, PromptSettings(), "q")
