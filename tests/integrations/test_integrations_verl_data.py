"""Tests for gainrl.integrations.verl_data: a scored dataset as verl's RL parquet, and the verl reward function.

Run: python -m pytest tests/integrations/test_integrations_verl_data.py -v
"""

import json

import datasets
import pytest

from gainrl.integrations.verl_data import compute_score, to_verl_parquet
from gainrl.kit.synthetic import SYSTEM_PROMPT, generate_problems, prompt_settings
from gainrl.score.command import ScoreArguments, run_score


@pytest.fixture(scope="module")
def scored_dir(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("verl-data")
    source = folder / "problems.json"
    source.write_text(json.dumps([{**record, "uid": f"p-{index:03d}"}
                                  for index, record in enumerate(generate_problems(24, seed=3))]))
    return run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(source), output=str(folder / "scored"),
                                    id_field="uid", system_prompt=SYSTEM_PROMPT, few_shot="none"))


def test_parquet_rows_follow_the_scored_order_with_ids_prompts_and_final_answers(scored_dir, tmp_path):
    path = to_verl_parquet(str(scored_dir), str(tmp_path / "verl" / "train.parquet"), data_source="synthetic")
    rows = datasets.load_dataset("parquet", data_files=str(path), split="train").to_list()
    scored = datasets.load_dataset(str(scored_dir), split="train").to_list()
    assert len(rows) == len(scored) == 24 and not list(path.parent.glob(".*.tmp"))
    for row, source in zip(rows, scored):
        assert row["data_source"] == "synthetic" and row["ability"] == "math"
        assert row["prompt"] == prompt_settings().messages(source["problem"])
        assert row["reward_model"] == {"style": "rule", "ground_truth": source["answer"]}
        info = row["extra_info"]
        assert (info["id"], info["angle_rank"], info["angle_score"]) == (
            source["id"], source["angle_rank"], source["angle_score"])
    assert [row["extra_info"]["angle_rank"] for row in rows] == list(range(24))  # scored datasets are angle-sorted


def test_reward_uses_the_math_checker_for_any_data_source():
    assert compute_score("anything", "so the answer is \\boxed{\\frac12}", "0.5") == 1.0
    assert compute_score("openai/gsm8k", "\\boxed{72}", "Natalia sold 24.\n#### 72") == 1.0
    assert compute_score("lighteval/MATH", "\\boxed{7}", "8") == 0.0


def test_export_verl_cli_writes_the_same_parquet(run_gainrl, scored_dir, tmp_path):
    out = tmp_path / "cli.parquet"
    assert "wrote" in run_gainrl("export-verl", str(scored_dir), "--output", str(out), "--data-source", "s").stdout
    expected = to_verl_parquet(str(scored_dir), str(tmp_path / "api.parquet"), data_source="s")
    load = lambda path: datasets.load_dataset("parquet", data_files=str(path), split="train").to_list()  # noqa: E731
    assert load(out) == load(expected)
