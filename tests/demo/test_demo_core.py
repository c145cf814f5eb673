"""Tests for gainrl.demo.core: the angle view equals `gainrl score`'s numbers for the same question and prompt,
its cosine matrix matches the metric, and the rank lookup.

Run: python -m pytest tests/demo/test_demo_core.py -v
"""

import json

import datasets
import numpy as np
import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from gainrl.demo.core import angle_view, rank_in_dataset
from gainrl.kit.synthetic import generate_problems
from gainrl.prompts import PromptSettings
from gainrl.score.command import ScoreArguments, run_score


def test_angle_view_equals_gainrl_score(tmp_path, tiny_model_dir):
    problems = generate_problems(6, seed=5)
    (tmp_path / "rows.json").write_text(json.dumps(problems))
    run_score(ScoreArguments(model=str(tiny_model_dir), dataset=str(tmp_path / "rows.json"),
                             output=str(tmp_path / "out"), batch_size=3))
    scored = datasets.load_dataset(str(tmp_path / "out"), split="train")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    for row in scored:
        view = angle_view(model, tokenizer, row["problem"], PromptSettings())
        assert view.angle_score == pytest.approx(row["angle_score"], abs=1e-5)
        assert view.c_intra == pytest.approx(row["c_intra"], abs=1e-5)
        assert view.c_inter == pytest.approx(row["c_inter"], abs=1e-5)
        assert len(view.tokens) == row["prompt_tokens"] == view.cosines.shape[0]
        question = view.segments == 2
        block = view.cosines[np.ix_(question, question)]
        count = int(question.sum())
        assert (block.sum() - np.trace(block)) / (count * (count - 1)) == pytest.approx(view.c_intra, abs=1e-4)


def test_rank_lookup():
    scores = [0.9, 0.5, 0.1, 0.7, float("nan")]
    assert rank_in_dataset(0.95, scores).rank == 0 and rank_in_dataset(0.95, scores).percentile == 100.0
    middle = rank_in_dataset(0.6, scores)
    assert (middle.rank, middle.percentile, middle.rows) == (2, 50.0, 4)
    assert rank_in_dataset(0.0, scores).rank == 4
    with pytest.raises(ValueError):
        rank_in_dataset(0.1, [float("nan")])
