"""A `gainrl score` dataset as verl's RL parquet, and a verl reward function backed by gainrl's answer checker.

`to_verl_parquet` writes one row per scored prompt, in the scored dataset's order, in the format verl's
`RLHFDataset` reads: `data_source`, `prompt` (the chat messages rendered from the prompt settings recorded by
`gainrl score`, so verl trains on the prompts that were scored), `ability`, `reward_model` {`style`: "rule",
`ground_truth`: the final answer (a GSM8K `#### N` reference becomes N)}, and `extra_info` {`id` (the stable id, as
text), `angle_rank`, `angle_score`, `prompt_tokens`, `index`}. The verl plug-ins map their ranks to rows through
`extra_info`, never by position, so verl's `filter_overlong_prompts` cannot misalign them.

`compute_score` is a verl custom reward function (`reward.custom_reward_function.path=pkg://gainrl.integrations.
verl_data` and `.name=compute_score` in verl 0.9; `custom_reward_function.*` before): 1.0 when
`gainrl.checkers.score_math` accepts the response's final answer, else 0.0, whatever the `data_source` (verl's
built-in scorers dispatch on it and reject unknown sources).

Neither needs verl installed. What it does not cover: code tasks, and multimodal rows.
"""

from __future__ import annotations

from pathlib import Path

from gainrl.checkers import score_math
from gainrl.checkers.extraction import reference_answer
from gainrl.scored import RANK, SCORE
from gainrl.train.data import load_training_data


def verl_rows(name: str, config: str | None = None, split: str | None = None, revision: str | None = None,
              data_source: str | None = None, answer_field: str = "answer") -> list[dict]:
    """verl rows of a scored dataset (Hub id or local folder), in its order; errors name row, id and field."""
    data = load_training_data(name, config, split, revision, answer_field)
    source = data_source or f"gainrl/{Path(name.rstrip('/')).name}"
    return [{"data_source": source, "prompt": row["prompt"], "ability": "math",
             "reward_model": {"style": "rule", "ground_truth": reference_answer(row[answer_field])},
             "extra_info": {"id": str(row["id"]), RANK: int(row[RANK]), SCORE: float(row[SCORE]),
                            "prompt_tokens": int(row["prompt_tokens"]),
                            "index": int(row["gainrl_row"])}}
            for row in data.dataset]


def to_verl_parquet(name: str, output: str, config: str | None = None, split: str | None = None,
                    revision: str | None = None, data_source: str | None = None,
                    answer_field: str = "answer") -> Path:
    """Write the verl parquet atomically (a temporary file renamed into place); returns its path."""
    import os

    import datasets

    rows = verl_rows(name, config, split, revision, data_source, answer_field)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    datasets.Dataset.from_list(rows).to_parquet(str(staging))
    os.replace(staging, path)
    return path


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **_unused) -> float:
    """verl's custom reward signature: 1.0 for a correct final answer, else 0.0."""
    return float(score_math(solution_str, reference_answer(ground_truth) or ""))
