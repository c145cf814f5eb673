"""Every YAML recipe under recipes/ parses into its dataclass config with trl.TrlParser (no unknown keys).

Run: python -m pytest tests/test_recipes.py -v
"""

from pathlib import Path

import pytest
from trl import TrlParser

from gainrl.score import ScoreArguments

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


@pytest.mark.parametrize("recipe", sorted((RECIPES / "score").glob("*.yaml")), ids=lambda p: p.name)
def test_score_recipes_parse(recipe):
    (args,) = TrlParser((ScoreArguments,)).parse_args_and_config(["--config", str(recipe)])
    assert args.model and args.dataset and args.output
