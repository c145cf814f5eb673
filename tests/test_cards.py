"""Tests for gainrl.cards: templates ship with the package and render with strict variables.

Run: python -m pytest tests/test_cards.py -v
"""

import jinja2
import pytest
from huggingface_hub import DatasetCard, ModelCard

from gainrl.cards import render_card


def test_templates_render_to_cards_the_hub_client_parses():
    card = render_card("synthetic_dataset_card.md", seed=3, splits={"train": 10, "test": 2})
    assert DatasetCard(card).data.license == "apache-2.0"
    assert "| train | 10 |" in card

    from gainrl.train.report import model_card

    dataset = {"repo": "me/scored", "config": "c", "split": "train", "revision": "abc", "scoring_model": "m",
               "scoring_layer": 1, "prompt": {"system_prompt": None, "few_shot": []}, "prompt_hash": "h",
               "same_prompt": True}
    model = ModelCard(model_card({"model_name": "ckpt", "base_model": "me/base", "hub": "me/ckpt",
                                  "dataset": dataset, "curriculum": {"curriculum": "gainrl", "rank_std": 10.0},
                                  "training": {"prompts_per_round": 4}, "rounds": 3, "rows": 40,
                                  "final_center": 7.0}))
    assert "gainrl" in model.data.tags and model.data.base_model == "me/base" and model.data.datasets == ["me/scored"]
    assert "prompt" not in model.data.gainrl["dataset"] and "| `rank_std` | 10.0 |" in model.text


def test_missing_variables_are_errors():
    with pytest.raises(jinja2.UndefinedError):
        render_card("dataset_card.md", title="only a title")
