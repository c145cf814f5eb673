"""Benchmark the step-time overhead of the GAIN-RL curriculum in `gainrl train`, and what group filtering costs.

    python bench/bench_train.py --runs 5 --steps 30
    python bench/bench_train.py --filter-groups --runs 5 --steps 16      # with and without filter_groups

Three variants with the same config and seed, interleaved run by run (A B C, A B C, ...) in one process:
  gainrl   GainRLTrainer, curriculum gainrl (draws each round, angle hook, state, history)
  uniform  GainRLTrainer, curriculum uniform (TRL's shuffled sampler; the angle hook and history still run)
  plain    trl.GRPOTrainer with the same arguments and reward (no gainrl code at all)
Each run trains `--steps` optimizer steps (one round each); the figure is TRL's own `step_time` metric, median
over the steps after the first `--warmup`; the table reports the median over runs and ratios. Completions are forced
to `--completion-tokens` tokens (`min_new_tokens`) so generation length cannot differ between variants; the mean
prompt length of each variant's draws is reported, because the curricula choose different prompts.
Model: a random tiny Qwen2 (`--hidden`, `--layers`), dataset: synthetic problems scored by it (CPU, offline).

Whole-step differences of a few per cent are within run-to-run noise on a shared 2-core machine, so the gainrl
variants also time their own code directly: the angle hook, closing a round (reductions, update, history line,
metrics) and drawing / substituting the round's prompts, summed per step (`gainrl code per step`).

`--filter-groups` compares `uniform`, `uniform+filter`, `gainrl` and `gainrl+filter` (filter_groups, default cap
of 3 extra passes) the same way: step time (generation included), completion tokens generated per round, groups
generated, extra passes, the share of zero-variance groups and of slots trained with mixed rewards. A random tiny
model solves nothing, so every group would be zero-variance; these variants use a *simulated* accuracy reward
instead (`simulated_accuracy`: a fixed per-prompt solve rate, 25 % of prompts never solved, 15 % always, the rest
uniform in (0, 1), each completion judged by a hash of prompt and completion), so in expectation 64 % of groups
of 4 have all-equal rewards (0.4 + 0.6 * 2/5), as is common in RL with verifiable rewards.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def prepare(work: Path, hidden: int, layers: int, rows: int) -> tuple[str, str]:
    import json

    from gainrl.kit.synthetic import generate_problems
    from gainrl.kit.tiny import TinyModelConfig, build_tiny_model
    from gainrl.score.command import ScoreArguments, run_score

    model = build_tiny_model(work / "model", TinyModelConfig(hidden=hidden, layers=layers, heads=4))
    (work / "rows.json").write_text(json.dumps(generate_problems(rows, seed=0)))
    run_score(ScoreArguments(model=str(model), dataset=str(work / "rows.json"), output=str(work / "scored"),
                             config_name="bench"))
    return str(model), str(work / "scored")


def simulated_accuracy(prompts, completions, **columns) -> list[float]:
    """1.0 with the prompt's fixed solve rate (from a hash of the question), decided by a hash of the completion."""
    import zlib

    rewards = []
    for prompt, completion in zip(prompts, completions):
        question, text = prompt[-1]["content"], completion[-1]["content"]
        bucket = zlib.crc32(question.encode()) % 100
        solve_rate = 0.0 if bucket < 25 else 1.0 if bucket < 40 else (bucket - 40 + 0.5) / 60
        rewards.append(float(zlib.crc32((question + "\0" + text).encode()) / 2**32 < solve_rate))
    return rewards


def arguments(model: str, dataset: str, output: Path, variant: str, options):
    from gainrl.train.command import TrainArguments

    simulated = {"reward_funcs": ["bench.bench_train:simulated_accuracy"], "accuracy_reward": "simulated_accuracy"}
    return TrainArguments(
        model_name_or_path=model, dataset_name=dataset, output_dir=str(output), use_cpu=True, bf16=False,
        per_device_train_batch_size=options.batch, num_generations=options.generations,
        max_completion_length=options.completion_tokens,
        generation_kwargs={"min_new_tokens": options.completion_tokens}, max_steps=options.steps,
        learning_rate=1e-4, lr_scheduler_type="constant", logging_steps=1, save_strategy="no", report_to="none",
        seed=0, curriculum="uniform" if variant.startswith("uniform") else "gainrl", rank_units="fraction",
        rank_std=0.1, center_step=0.05, max_shift=0.1, disable_tqdm=True, filter_groups=variant.endswith("+filter"),
        **(simulated if options.filter_groups else {}))


GAINRL_CODE = ("_measure_angle", "_close_round", "_round_inputs", "_observe_round")  # and merge_groups
SPENT = {"seconds": 0.0}


def timed(function):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT["seconds"] += time.perf_counter() - began

    return wrapper


def instrument_gainrl_code() -> None:
    """Time the trainer's own methods (patched on the class, so the hook registered at construction is timed)."""
    from gainrl.train.trainer import GainRLTrainer

    for name in GAINRL_CODE:
        setattr(GainRLTrainer, name, timed(getattr(GainRLTrainer, name)))
    trainer_module = sys.modules[GainRLTrainer.__module__]
    trainer_module.merge_groups = timed(trainer_module.merge_groups)


def run_variant(variant: str, model: str, dataset: str, output: Path, options) -> dict:
    """step (median step time after warm-up), prompt (mean prompt tokens drawn), own (seconds of gainrl code per
    step) and, from the sampler history, per-round means of generated tokens, groups and extra passes, and the
    shares of zero-variance groups and of slots trained with mixed rewards."""
    from trl import GRPOTrainer

    from gainrl.train.command import build_trainer
    from gainrl.train.data import load_training_data
    from gainrl.train.rewards import resolve_rewards

    args = arguments(model, dataset, output, variant, options)
    data = load_training_data(dataset, None, None)
    if variant == "plain":
        trainer = GRPOTrainer(model=model, reward_funcs=resolve_rewards(["accuracy"]), args=args,
                              train_dataset=data.dataset)
    else:
        trainer = build_trainer(args, data)
    SPENT["seconds"] = 0.0
    trainer.train()
    times = [entry["step_time"] for entry in trainer.state.log_history if "step_time" in entry]
    prompt_tokens = [entry["completions/mean_length"] for entry in trainer.state.log_history
                     if "completions/mean_length" in entry]  # sanity: fixed completion length
    assert all(abs(length - options.completion_tokens) < 1e-6 for length in prompt_tokens), prompt_tokens
    measured = {"step": statistics.median(times[options.warmup:]), "own": SPENT["seconds"] / options.steps}
    if variant == "plain":
        return {**measured, "prompt": float("nan")}
    tokens, history = data.dataset["prompt_tokens"], trainer.curriculum.history
    drawn = [trainer.rank_to_row[rank] for entry in history for rank in entry["ranks"]]
    return {**measured, "prompt": statistics.fmean(tokens[row] for row in drawn), **round_measures(history)}


def round_measures(history: list[dict]) -> dict:
    def mean(key):
        return statistics.fmean(entry.get(key, 0) for entry in history)

    slots = sum(len(entry["ranks"]) for entry in history)
    mixed = sum(entry.get("groups_kept", entry["groups_generated"] - entry["zero_variance_groups"])
                for entry in history)
    return {"tokens": mean("generated_tokens"), "groups": mean("groups_generated"), "passes": mean("extra_passes"),
            "zero_share": mean("zero_variance_groups") / mean("groups_generated"), "mixed_share": mixed / slots}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16, help="completions per step")
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--completion-tokens", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--filter-groups", action="store_true", help="compare with and without filter_groups")
    options = parser.parse_args()
    if options.filter_groups:
        variants = ("uniform", "uniform+filter", "gainrl", "gainrl+filter")
    else:
        variants = ("gainrl", "uniform", "plain")
    instrument_gainrl_code()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        work = Path(folder)
        model, dataset = prepare(work, options.hidden, options.layers, options.rows)
        results = {variant: [] for variant in variants}
        for run in range(options.runs):
            for variant in variants:
                measured = run_variant(variant, model, dataset, work / f"{variant}-{run}", options)
                results[variant].append(measured)
                print(f"run {run} {variant}: median step {measured['step'] * 1000:.1f} ms, mean prompt "
                      f"{measured['prompt']:.1f} tokens, gainrl code {measured['own'] * 1000:.2f} ms/step"
                      + (f", {measured['tokens']:.0f} generated tokens/round" if "tokens" in measured else ""),
                      flush=True)
    print(f"\n{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch_version()}, {options}")
    (report_filter if options.filter_groups else report)(results)


def torch_version() -> str:
    import torch

    return torch.__version__


def column(results: dict, variant: str, key: str) -> list[float]:
    return [measured[key] for measured in results[variant]]


def report(results: dict) -> None:
    medians = {variant: statistics.median(column(results, variant, "step")) for variant in results}
    print("| variant | median step time (ms) | per-run medians (ms) | mean prompt tokens drawn | ratio to uniform | "
          "ratio to plain TRL | gainrl code per step (ms, % of step) |")
    print("|---|---|---|---|---|---|---|")
    for variant in results:
        runs = ", ".join(f"{v * 1000:.1f}" for v in column(results, variant, "step"))
        spent = statistics.median(column(results, variant, "own"))
        print(f"| {variant} | {medians[variant] * 1000:.1f} | {runs} | "
              f"{statistics.fmean(column(results, variant, 'prompt')):.1f} | "
              f"{medians[variant] / medians['uniform']:.3f} | {medians[variant] / medians['plain']:.3f} | "
              f"{spent * 1000:.2f} ({100 * spent / medians[variant]:.2f} %) |")
    paired = [g / u for g, u in zip(column(results, "gainrl", "step"), column(results, "uniform", "step"))]
    print(f"\npaired per-run ratio gainrl/uniform: median {statistics.median(paired):.3f} "
          f"(min {min(paired):.3f}, max {max(paired):.3f})")


def report_filter(results: dict) -> None:
    print("| variant | median step time (ms) | per-run medians (ms) | generated tokens per round | groups generated "
          "per round | extra passes per round | zero-variance groups | slots trained with mixed rewards | "
          "step time / unfiltered (paired median) | tokens / unfiltered |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for variant in results:
        base = variant.split("+")[0]
        steps = column(results, variant, "step")
        paired = [a / b for a, b in zip(steps, column(results, base, "step"))]
        tokens = statistics.median(column(results, variant, "tokens"))
        print(f"| {variant} | {statistics.median(steps) * 1000:.1f} | {', '.join(f'{v * 1000:.1f}' for v in steps)} | "
              f"{tokens:.0f} | {statistics.median(column(results, variant, 'groups')):.2f} | "
              f"{statistics.median(column(results, variant, 'passes')):.2f} | "
              f"{100 * statistics.median(column(results, variant, 'zero_share')):.0f} % | "
              f"{100 * statistics.median(column(results, variant, 'mixed_share')):.0f} % | "
              f"{statistics.median(paired):.2f} | "
              f"{tokens / statistics.median(column(results, base, 'tokens')):.2f} |")


if __name__ == "__main__":
    main()
