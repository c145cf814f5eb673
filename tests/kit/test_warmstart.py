"""Tests for gainrl.kit.warmstart: the SFT data, a short real fine-tune, and the per-level report.

Run: python -m pytest tests/kit/test_warmstart.py -v
"""

import json
import re

import pytest
import torch
from transformers import AutoModelForCausalLM

from gainrl.kit.synthetic import generate_problems, prompt_settings
from gainrl.kit.warmstart import WarmStartConfig, sft_dataset, warm_start, warm_start_report


def test_sft_rows_are_the_training_prompt_and_the_answer_alone_with_completion_answer():
    rows = sft_dataset(prompt_settings(), WarmStartConfig(steps=4, batch_size=8, completion="answer", slip_share=()),
                       set()).to_list()
    assert len(rows) == 32
    assert all(re.fullmatch(r"\\boxed\{\d+\}", row["completion"][0]["content"]) for row in rows)


def test_slip_share_boxes_another_number_of_the_problem_for_that_share_of_a_level():
    config = WarmStartConfig(steps=100, batch_size=8, level_mix=(1, 3), completion="solution",
                             slip_share=[0.0, 0.0, 0.5])
    rows = sft_dataset(prompt_settings(), config, set()).to_list()
    truth = generate_problems(800, seed=config.seed, difficulties=(1, 3), distinct=False)
    slips = {1: 0, 3: 0}
    for row, record in zip(rows, truth):
        assert row["prompt"][-1]["content"] == record["problem"]
        written = row["completion"][0]["content"]
        steps, boxed = written.rpartition(" The answer is")[0], re.search(r"\\boxed\{(\d+)\}", written).group(1)
        assert steps == record["solution"].rpartition(" The answer is")[0]  # the worked steps stay right
        if boxed != record["answer"]:
            slips[int(record["difficulty"])] += 1
            assert boxed in re.findall(r"\d+", steps)
    assert slips[1] == 0 and 160 < slips[3] < 240  # about half of the 400 level-3 rows
    assert config.slip_share == (0.0, 0.0, 0.5)


def test_slip_share_must_be_probabilities():
    with pytest.raises(ValueError, match="slip_share"):
        WarmStartConfig(slip_share=(0.5, 1.5))


def test_unknown_completion_format_is_an_error():
    with pytest.raises(ValueError, match="completion"):
        WarmStartConfig(completion="essay")


def test_sft_rows_are_the_training_prompt_and_the_worked_solution_without_held_out_problems():
    held_out = {record["problem"] for record in generate_problems(50, seed=100, difficulties=(1,))}
    config = WarmStartConfig(steps=5, batch_size=8, level_mix=(1, 1, 2), completion="solution")
    rows = sft_dataset(prompt_settings(), config, held_out).to_list()
    assert len(rows) == 40
    for row in rows:
        question = row["prompt"][-1]["content"]
        assert row["prompt"] == prompt_settings().messages(question) and question not in held_out
        assert row["completion"][0]["role"] == "assistant" and "\\boxed{" in row["completion"][0]["content"]
    levels = [(" x " in row["completion"][0]["content"]) for row in rows]
    assert sum(levels) == 13  # level 2 (multiplication) is every third problem of the mix


def test_warm_start_trains_saves_and_reports_per_level(tiny_model_dir, tmp_path):
    out = warm_start(tiny_model_dir, tmp_path / "base", prompt_settings(), set(),
                     WarmStartConfig(steps=3, batch_size=4, learning_rate=1e-2))
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dir).state_dict()
    after = AutoModelForCausalLM.from_pretrained(out).state_dict()
    assert any(not torch.equal(before[name], after[name]) for name in before)
    records = generate_problems(10, seed=7)
    accuracy = warm_start_report(out, records, prompt_settings(), max_new_tokens=8)
    assert set(accuracy) == {"level 1", "level 2", "level 3", "level 4", "level 5", "all"}
    saved = json.loads((out / "warm_start.json").read_text())
    assert saved["greedy_accuracy"] == accuracy and saved["config"]["steps"] == 3
    assert saved["prompt_settings"] == prompt_settings().to_dict()
