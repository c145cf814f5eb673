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
    model = render_card("model_card.md", title="T", description="D")
    assert "gainrl" in ModelCard(model).data.tags


def test_missing_variables_are_errors():
    with pytest.raises(jinja2.UndefinedError):
        render_card("dataset_card.md", title="only a title")
