"""Every YAML recipe under recipes/ parses into its dataclass config with trl.TrlParser (no unknown keys).

Run: python -m pytest tests/test_recipes.py -v
"""

from dataclasses import fields
from pathlib import Path

import pytest
from trl import TrlParser

from gainrl.score.command import ScoreArguments
from gainrl.train.command import TrainArguments

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


@pytest.mark.parametrize("recipe", sorted((RECIPES / "score").glob("*.yaml")), ids=lambda p: p.name)
def test_score_recipes_parse(recipe):
    (args,) = TrlParser((ScoreArguments,)).parse_args_and_config(["--config", str(recipe)])
    assert args.model and args.dataset and args.output


TRAIN_RECIPES = sorted((RECIPES / "tiny").glob("*.yaml")) + sorted((RECIPES / "train").glob("*.yaml"))


@pytest.mark.parametrize("recipe", TRAIN_RECIPES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_train_recipes_parse(recipe):
    # GPU recipes ask for vLLM and bf16, which this CPU machine lacks: switched off here, everything else as written
    cpu = ["--use_vllm", "false", "--bf16", "false"] if recipe.parent.name == "train" else []
    (args,) = TrlParser((TrainArguments,)).parse_args_and_config(["--config", str(recipe), *cpu])
    assert args.model_name_or_path and args.dataset_name and args.output_dir
    assert args.curriculum == recipe.stem if recipe.parent.name == "tiny" else args.curriculum == "gainrl"
    assert args.generation_batch_size % args.num_generations == 0


@pytest.mark.parametrize("recipe", sorted((RECIPES / "tiny").glob("*.yaml")), ids=lambda p: p.name)
def test_tiny_recipes_are_the_quickstart_settings_on_its_local_outputs(recipe):
    from gainrl.kit.quickstart import QuickstartConfig, train_arguments

    (args,) = TrlParser((TrainArguments,)).parse_args_and_config(["--config", str(recipe)])
    quickstart = train_arguments(QuickstartConfig(), recipe.stem)
    differing = {field.name for field in fields(args) if getattr(args, field.name) != getattr(quickstart, field.name)}
    assert differing <= {"model_name_or_path", "dataset_name", "dataset_config", "output_dir", "push_to_hub",
                         "hub_model_id", "save_steps", "logging_dir", "run_name"}
    assert args.model_name_or_path == "runs/quickstart/base-model"
