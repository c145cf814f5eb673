"""Tests for gainrl.score.audit: subsets, the log-likelihoods and gradient norms, the statistics, and the CLI end to
end.

Run: python -m pytest tests/score/test_audit.py -v
"""

import json

import datasets
import pytest
import torch
from scipy.stats import spearmanr
from transformers import AutoModelForCausalLM, AutoTokenizer

from gainrl.kit.synthetic import SYSTEM_PROMPT, generate_problems
from gainrl.score.audit import (
    AuditArguments,
    completion_log_likelihoods,
    gradient_norms,
    spearman_with_interval,
    subset_positions,
    write_subset,
)


def test_subsets_are_seeded_sorted_and_whole_when_the_limit_is_large():
    assert subset_positions(100, 10, seed=3) == subset_positions(100, 10, seed=3)
    picked = subset_positions(100, 10, seed=3)
    assert picked == sorted(picked) and len(set(picked)) == 10
    assert subset_positions(5, 10, seed=0) == subset_positions(5, None, seed=0) == [0, 1, 2, 3, 4]


def test_spearman_interval_brackets_rho_and_is_undefined_for_constants():
    x = list(range(30))
    y = [value + (7 if value % 5 == 0 else 0) for value in x]
    found = spearman_with_interval(x, y, resamples=300, seed=0)
    assert found["rho"] == pytest.approx(spearmanr(x, y).statistic)
    assert found["ci95"][0] <= found["rho"] <= found["ci95"][1] and found["n"] == 30
    constant = spearman_with_interval(x, [0.0] * 30, resamples=10, seed=0)
    assert constant["rho"] is None and "constant" in constant["note"]


def test_subset_errors_name_the_row_and_the_field(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"problem": "1+1?", "answer": "2"}, {"problem": "  ", "answer": "3"},
                                {"problem": "2+2?", "answer": "4"}]))
    args = AuditArguments(model="unused", dataset=str(path), output=str(tmp_path / "out"), limit=None)
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match=r"row 1: field 'problem' is empty"):
        write_subset(args, tmp_path / "out")
    with pytest.raises(ValueError, match="no column 'solution'"):
        write_subset(AuditArguments(model="m", dataset=str(path), output="o", answer_field="solution"), tmp_path)


def test_log_likelihoods_of_a_padded_group_equal_one_sequence_at_a_time(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompt = "<|im_start|>user\nMia has 3 apples.<|im_end|>\n<|im_start|>assistant\n"
    completions = ["3 + 4 = 7.", "The answer is \\boxed{7} because 3 + 4 = 7 and so on.", ""]
    grouped = completion_log_likelihoods(model, tokenizer, prompt, completions)
    for index, text in enumerate(completions):
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        ids = prompt_ids + tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        logps = torch.log_softmax(model(torch.tensor([ids])).logits[0, :-1], -1)
        targets = torch.tensor(ids[1:])
        expected = logps[torch.arange(len(targets)), targets][len(prompt_ids) - 1:].mean()
        assert float(grouped[index]) == pytest.approx(float(expected), abs=1e-5)


def test_grpo_gradient_vanishes_when_all_rewards_agree_and_the_nll_gradient_does_not(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    weight = model.model.layers[-1].mlp.up_proj.weight
    prompt = "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"
    likelihoods = completion_log_likelihoods(model, tokenizer, prompt, ["4", "5", "\\boxed{4}"])
    agreeing = gradient_norms(model, weight, likelihoods, [1.0, 1.0, 1.0])
    assert agreeing[0] == 0.0 and agreeing[1] > 0.0
    mixed = gradient_norms(model, weight, likelihoods, [1.0, 0.0, 1.0])
    assert mixed[0] > 0.0 and mixed[1] == pytest.approx(agreeing[1])


def test_audit_cli_writes_per_prompt_rows_matching_gainrl_score_and_the_reported_statistics(
        run_gainrl, tiny_model_dir, tmp_path):
    data = tmp_path / "synthetic.json"
    data.write_text(json.dumps(generate_problems(40, seed=5)))
    out = tmp_path / "audit"
    arguments = ("audit", "--model", str(tiny_model_dir), "--dataset", str(data), "--output", str(out), "--limit",
                 "12", "--samples", "2", "--max_new_tokens", "6", "--bootstrap", "50", "--system_prompt",
                 SYSTEM_PROMPT, "--few_shot", "none")
    run_gainrl(*arguments)
    # a rerun into the same folder replaces the outputs; a split other than `train` audits too (the scored subset
    # file has one split whatever the source split was)
    result = run_gainrl(*arguments, "--split", "test")
    assert "Spearman(angle_score, prompt_tokens)" in result.stdout
    rows = [json.loads(line) for line in (out / "per_prompt.jsonl").read_text().splitlines()]
    report = json.loads((out / "audit.json").read_text())
    assert len(rows) == report["prompts"] == 12 and (out / "scatter.png").stat().st_size > 0
    scored = datasets.load_dataset(str(out / "scored"), split="train").to_list()
    by_id = {row["id"]: row for row in scored}
    for row in rows:
        assert row["angle_score"] == by_id[row["source_row"]]["angle_score"]
        assert row["prompt_tokens"] == by_id[row["source_row"]]["prompt_tokens"]
        assert row["pass_rate"] in (0.0, 0.5, 1.0) and row["grad_norm_nll"] > 0
    length = report["spearman_with_angle_score"]["prompt_tokens"]
    assert length["rho"] == pytest.approx(spearmanr([r["angle_score"] for r in rows],
                                                    [r["prompt_tokens"] for r in rows]).statistic)
    assert set(report["spearman_with_angle_score"]) == {"prompt_tokens", "pass_rate", "grad_norm", "grad_norm_nll",
                                                        "difficulty"}


def test_partial_correlation_removes_what_length_explains_and_keeps_the_rest():
    import numpy as np

    from gainrl.score.audit import partial_with_interval

    generator = np.random.default_rng(0)
    length = generator.normal(size=300)
    own = generator.normal(size=300)
    angle = -length + 0.3 * own
    only_length = partial_with_interval(list(angle), list(-length + 0.01 * generator.normal(size=300)),
                                        list(length), resamples=100, seed=0)
    assert abs(only_length["rho"]) < 0.2  # pass rate driven by length alone: nothing left once length is fixed
    beyond = partial_with_interval(list(angle), list(own), list(length), resamples=100, seed=0)
    assert beyond["rho"] > 0.7 and beyond["ci95"][0] > 0.5
    assert partial_with_interval([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 10, 0)["rho"] is None
