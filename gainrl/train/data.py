"""Training data for `gainrl train`: an angle-sorted dataset written by `gainrl score`, checked and turned into
TRL's conversational prompts, plus the rank -> row order each curriculum samples over.

The scored dataset is read with `gainrl.scored.load_scored` (a Hub id, or a local folder in the layout of a Hub
dataset repo); its provenance gives the question field and the prompt settings, so training prompts are rendered
exactly as the scoring prompts were unless the caller overrides them. Rows are never dropped: ranks map to rows
through the `angle_rank` column (or, for `length`, through `prompt_tokens`), and each row keeps its position (in
rank order) in `gainrl_row`.

What it does not cover: scoring (`gainrl score`), filtering long prompts (every row stays; TRL does not truncate
prompts, so the generation budget must cover the longest one), and datasets that do not fit in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gainrl import scored
from gainrl.checkers.code_tests import column_errors
from gainrl.prompts import PromptSettings
from gainrl.run_log import gainrl_logger
from gainrl.scored import Provenance, load_scored, raise_record_errors
from gainrl.user_errors import UserError

ROW_COLUMN = "gainrl_row"
logger = gainrl_logger(__name__)


@dataclass
class TrainingData:
    """The prompts TRL trains on, where they came from, and the order each curriculum samples over."""

    dataset: object  # datasets.Dataset with `prompt` (chat messages) and `gainrl_row` added
    provenance: Provenance
    config: str
    revision: str
    prompt_settings: PromptSettings
    angle_order: list[int]  # rank -> row, highest angle concentration first
    length_order: list[int]  # rank -> row, shortest prompt first (ties by angle rank)

    def order(self, curriculum: str) -> list[int]:
        return self.length_order if curriculum == "length" else self.angle_order


def record_errors(data, question_field: str, answer_field: str | None, tests_field: str | None = None) -> list[str]:
    """One message per bad record (naming its row, id and field), in row order: the scored dataset's own checks,
    plus the answer (or test cases) the rewards need."""
    errors = scored.record_errors(data, question_field, answer_field, present=(tests_field,))
    if tests_field and not scored.missing_columns(data, question_field, answer_field, tests_field):
        errors += column_errors(data[tests_field], list(data["id"]), tests_field)
    return errors


def rank_orders(data) -> tuple[list[int], list[int]]:
    """(angle order, length order): rank -> row."""
    ranks = list(data[scored.RANK])
    angle_order = [0] * len(ranks)
    for row, rank in enumerate(ranks):
        angle_order[rank] = row
    tokens = list(data["prompt_tokens"])
    length_order = sorted(range(len(ranks)), key=lambda row: (tokens[row], ranks[row]))
    return angle_order, length_order


def with_prompts(data, settings: PromptSettings, question_field: str):
    """Add TRL's conversational `prompt` column and `gainrl_row`; a source `prompt` column is kept as
    `source_prompt`."""
    if "prompt" in data.column_names:
        logger.info("the dataset's own 'prompt' column is kept as 'source_prompt'; 'prompt' now holds the chat "
                    "messages rendered from the recorded prompt settings")
        data = data.rename_column("prompt", "source_prompt")
    data = data.add_column(ROW_COLUMN, list(range(len(data))))
    return data.map(lambda row: {"prompt": settings.messages(row[question_field])}, desc="building prompts")


def prompt_settings_for(provenance: Provenance, system_prompt: str | None, few_shot: str | None) -> PromptSettings:
    """The recorded settings, unless the caller overrides either part (same flag semantics as `gainrl score`)."""
    recorded = PromptSettings.from_dict(provenance.prompt)
    if system_prompt is None and few_shot is None:
        return recorded
    flags = PromptSettings.from_flags(system_prompt, few_shot)
    chosen = PromptSettings(system_prompt=flags.system_prompt if system_prompt is not None else recorded.system_prompt,
                            few_shot=flags.few_shot if few_shot is not None else recorded.few_shot)
    if chosen != recorded:
        logger.warning("training prompts differ from the prompts the dataset was scored with (hash %s vs %s)",
                       chosen.digest(), provenance.prompt_hash)
    return chosen


def require_scored_dataset(name: str) -> None:
    """A plain data file, or a folder without the card `gainrl score` writes, is not training data: say so, and
    which command makes the dataset `gainrl train` needs."""
    path = Path(name)
    what = "a plain data file" if path.is_file() else "a folder without the card `gainrl score` writes"
    if path.is_file() or (path.is_dir() and not (path / "README.md").exists()):
        raise UserError(f"--dataset_name {name} is {what}; gainrl train needs an angle-sorted dataset: make it with "
                        f"`gainrl score --model MODEL --dataset {name} --output runs/scores/NAME` and train with "
                        "--dataset_name runs/scores/NAME")


def load_training_data(name: str, config: str | None, split: str | None, revision: str | None = None,
                       answer_field: str | None = "answer", system_prompt: str | None = None,
                       few_shot: str | None = None, tests_field: str | None = None) -> TrainingData:
    """Load, validate and prepare a scored dataset; errors name every bad record before training starts."""
    require_scored_dataset(name)
    found = load_scored(name, config, split, revision, text_fields=(answer_field,), present=(tests_field,))
    if tests_field:
        raise_record_errors(f"{name} [{found.config}/{found.split}]",
                            column_errors(found.data[tests_field], list(found.data["id"]), tests_field))
    angle_order, length_order = rank_orders(found.data)
    settings = prompt_settings_for(found.provenance, system_prompt, few_shot)
    return TrainingData(with_prompts(found.data, settings, found.provenance.question_field), found.provenance,
                        found.config, found.revision, settings, angle_order, length_order)
