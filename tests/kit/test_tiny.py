"""Tests for gainrl.kit.tiny: determinism, faithful tokenizer reload, chat template, architectures and flags.

Run: python -m pytest tests/kit/test_tiny.py -v
"""

import hashlib

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from gainrl.kit.tiny import DEFAULT_SYSTEM_PROMPT, TinyModelConfig, build_tiny_model, train_tokenizer

SAMPLES = ["12345 apples", "Mia has 3 coins. Then they get 19 more.", "Héllo  wörld\n\n x", "\\boxed{42}",
           "<|im_start|>user\nhi<|im_end|>\n"]


def file_hashes(folder) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_same_config_gives_identical_files(tmp_path, tiny_model_dir):
    again = build_tiny_model(tmp_path / "again")
    assert file_hashes(again) == file_hashes(tiny_model_dir)


def test_another_seed_gives_other_weights(tmp_path, tiny_model_dir):
    other = build_tiny_model(tmp_path / "other", TinyModelConfig(seed=1))
    assert file_hashes(other)["model.safetensors"] != file_hashes(tiny_model_dir)["model.safetensors"]


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_auto_tokenizer_reloads_faithfully(tmp_path, arch):
    config = TinyModelConfig(arch=arch)
    folder = build_tiny_model(tmp_path / arch, config)
    original, reloaded = train_tokenizer(config), AutoTokenizer.from_pretrained(folder)
    for text in SAMPLES:
        assert reloaded(text)["input_ids"] == original(text)["input_ids"], text
        assert reloaded.decode(reloaded(text)["input_ids"]) == text
    assert reloaded.eos_token == "<|im_end|>" and reloaded.pad_token == "<|endoftext|>"


def test_chat_template_renders_chatml_with_default_system_prompt(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = tokenizer.apply_chat_template([{"role": "user", "content": "2+2?"}], tokenize=False,
                                         add_generation_prompt=True)
    assert text == (f"<|im_start|>system\n{DEFAULT_SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
                    "<|im_start|>assistant\n")
    custom = tokenizer.apply_chat_template([{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
                                           tokenize=False)
    assert custom == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n"


@pytest.mark.parametrize("arch,hidden,layers,heads", [("qwen2", 32, 3, 2), ("llama", 48, 1, 6)])
def test_shape_flags_reach_the_model(tmp_path, arch, hidden, layers, heads):
    folder = build_tiny_model(tmp_path / "m", TinyModelConfig(arch=arch, hidden=hidden, layers=layers, heads=heads))
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert model.config.model_type == arch
    assert (model.config.hidden_size, model.config.num_hidden_layers, model.config.num_attention_heads) == (
        hidden, layers, heads)


def test_model_generates_and_stops_at_eos_or_length(tiny_model_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": "Mia has 3 coins."}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assert output.shape[1] <= inputs["input_ids"].shape[1] + 8


@pytest.mark.parametrize("bad", [dict(arch="gpt2"), dict(hidden=30, heads=4), dict(heads=4, kv_heads=3),
                                 dict(vocab_size=100)])
def test_invalid_configs_are_rejected(bad):
    with pytest.raises(ValueError):
        TinyModelConfig(**bad)


@pytest.mark.gpu
def test_tiny_model_runs_on_cuda(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).to("cuda")
    inputs = AutoTokenizer.from_pretrained(tiny_model_dir)("Mia has 3 coins.", return_tensors="pt").to("cuda")
    with torch.no_grad():
        cpu_logits = AutoModelForCausalLM.from_pretrained(tiny_model_dir)(**inputs.to("cpu")).logits
        cuda_logits = model(**inputs.to("cuda")).logits.cpu()
    assert torch.allclose(cpu_logits, cuda_logits, atol=1e-4)
