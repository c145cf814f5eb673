"""Tests for gainrl.score.prefill: batched, early-stopped pre-fill against a slow full forward with L x L cosines, on
real MATH training prompts and a tiny model.

Run: python -m pytest tests/score/test_prefill.py -v
"""

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from gainrl.angles import PROMPT_SEGMENT, QUESTION_SEGMENT, concentration
from gainrl.kit.tiny import TinyModelConfig, build_tiny_model
from gainrl.models import resolve_layer
from gainrl.prompts import PromptSettings, segment_prompt
from gainrl.score.prefill import SegmentSumPrefill

MATH_TRAIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "math_train.json"


@pytest.fixture(scope="module")
def questions():
    if MATH_TRAIN.exists():
        return [row["problem"] for row in json.loads(MATH_TRAIN.read_text())[:24]]
    pytest.skip("needs ../shared/data/math_train.json")


@pytest.fixture(scope="module")
def model_and_tokenizer(tmp_path_factory):
    folder = build_tiny_model(tmp_path_factory.mktemp("m") / "llama", TinyModelConfig(arch="llama", layers=3))
    return AutoModelForCausalLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def slow_concentration(model, prompt, layer: int):
    """Full forward at batch 1, the layer's MLP input kept, every pair of cosines from an L x L matrix."""
    captured = {}
    handle = model.model.layers[layer].mlp.register_forward_pre_hook(lambda m, a: captured.update(x=a[0][0]))
    with torch.no_grad():
        model(input_ids=torch.tensor([prompt.input_ids]))
    handle.remove()
    unit = torch.nn.functional.normalize(captured["x"].double(), dim=-1)
    cos = unit @ unit.T
    q = torch.tensor(prompt.segments == QUESTION_SEGMENT)
    p = torch.tensor(prompt.segments == PROMPT_SEGMENT)
    qq = cos[q][:, q]
    c_intra = (qq.sum() - qq.diagonal().sum()) / (q.sum() * (q.sum() - 1))
    return c_intra.item(), cos[q][:, p].mean().item()


@pytest.mark.parametrize("layer", [-1, 0])
def test_matches_slow_full_forward_on_math_prompts(model_and_tokenizer, questions, layer):
    model, tokenizer = model_and_tokenizer
    prompts = [segment_prompt(tokenizer, PromptSettings(), q, max_length=1024) for q in questions[:8]]
    s_prompt, s_question = SegmentSumPrefill(model, layer)(prompts)
    for row, prompt in enumerate(prompts):
        fast = concentration(s_question[row], prompt.question_tokens, s_prompt[row], prompt.system_tokens)
        slow = slow_concentration(model, prompt, resolve_layer(3, layer))
        assert fast == pytest.approx(slow, abs=1e-5)


def test_batched_equals_one_at_a_time(model_and_tokenizer, questions):
    model, tokenizer = model_and_tokenizer
    prompts = [segment_prompt(tokenizer, PromptSettings(), q, max_length=1024) for q in questions]  # 307-901 tokens
    assert len({p.prompt_tokens for p in prompts}) > 5  # mixed lengths, so padding is exercised
    prefill = SegmentSumPrefill(model)
    batched = prefill(prompts)
    for row, prompt in enumerate(prompts):
        single = prefill([prompt])
        for many, one in zip(batched, single):
            assert torch.allclose(many[row], one[0], atol=1e-4)


def test_the_forward_stops_before_the_rest_of_the_model(model_and_tokenizer, questions):
    model, tokenizer = model_and_tokenizer
    calls = []
    handles = [model.model.layers[-1].mlp.up_proj.register_forward_hook(lambda *a: calls.append("mlp")),
               model.model.norm.register_forward_hook(lambda *a: calls.append("norm")),
               model.lm_head.register_forward_hook(lambda *a: calls.append("lm_head"))]
    try:
        SegmentSumPrefill(model)([segment_prompt(tokenizer, PromptSettings(), questions[0], 1024)])
    finally:
        for handle in handles:
            handle.remove()
    assert calls == []


def test_layer_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="out of range"):
        resolve_layer(3, 3)
    assert resolve_layer(3, -3) == 0


@pytest.mark.gpu
def test_cuda_bfloat16_scores_agree_with_cpu_float32(questions, tmp_path):
    folder = build_tiny_model(tmp_path / "m", TinyModelConfig(hidden=128, layers=4, heads=4))
    tokenizer = AutoTokenizer.from_pretrained(folder)
    prompts = [segment_prompt(tokenizer, PromptSettings(), q, max_length=1024) for q in questions[:8]]
    cpu = SegmentSumPrefill(AutoModelForCausalLM.from_pretrained(folder).eval())(prompts)
    cuda_model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).to("cuda").eval()
    gpu = SegmentSumPrefill(cuda_model)(prompts)
    for row, prompt in enumerate(prompts):
        expected = concentration(cpu[1][row], prompt.question_tokens, cpu[0][row], prompt.system_tokens)
        found = concentration(gpu[1][row], prompt.question_tokens, gpu[0][row], prompt.system_tokens)
        assert found == pytest.approx(expected, abs=2e-2)
