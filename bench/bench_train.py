"""Benchmark the step-time overhead of the GAIN-RL curriculum in `gainrl train`.

    python bench/bench_train.py --runs 5 --steps 30

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

    from gainrl.score import ScoreArguments, run_score
    from gainrl.synthetic import generate_problems
    from gainrl.tiny import TinyModelConfig, build_tiny_model

    model = build_tiny_model(work / "model", TinyModelConfig(hidden=hidden, layers=layers, heads=4))
    (work / "rows.json").write_text(json.dumps(generate_problems(rows, seed=0)))
    run_score(ScoreArguments(model=str(model), dataset=str(work / "rows.json"), output=str(work / "scored"),
                             config_name="bench"))
    return str(model), str(work / "scored")


def arguments(model: str, dataset: str, output: Path, variant: str, options):
    from gainrl.train import TrainArguments

    return TrainArguments(
        model_name_or_path=model, dataset_name=dataset, output_dir=str(output), use_cpu=True, bf16=False,
        per_device_train_batch_size=options.batch, num_generations=options.generations,
        max_completion_length=options.completion_tokens,
        generation_kwargs={"min_new_tokens": options.completion_tokens}, max_steps=options.steps,
        learning_rate=1e-4, lr_scheduler_type="constant", logging_steps=1, save_strategy="no", report_to="none",
        seed=0, curriculum="uniform" if variant == "uniform" else "gainrl", rank_units="fraction", rank_std=0.1,
        center_step=0.05, max_shift=0.1, disable_tqdm=True)


GAINRL_CODE = ("_measure_angle", "_close_round", "_round_inputs", "_observe_round")
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
    from gainrl.trainer import GainRLTrainer

    for name in GAINRL_CODE:
        setattr(GainRLTrainer, name, timed(getattr(GainRLTrainer, name)))


def run_variant(variant: str, model: str, dataset: str, output: Path, options) -> tuple[float, float, float]:
    """(median step time after warm-up, mean prompt tokens drawn, seconds of gainrl code per step)."""
    from trl import GRPOTrainer

    from gainrl.rewards import resolve_rewards
    from gainrl.train import build_trainer
    from gainrl.train_data import load_training_data

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
    if variant == "plain":
        mean_prompt = float("nan")
    else:
        tokens = data.dataset["prompt_tokens"]
        drawn = [trainer.rank_to_row[rank] for entry in trainer.curriculum.history for rank in entry["ranks"]]
        mean_prompt = statistics.fmean(tokens[row] for row in drawn)
    return statistics.median(times[options.warmup:]), mean_prompt, SPENT["seconds"] / options.steps


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
    options = parser.parse_args()
    variants = ("gainrl", "uniform", "plain")
    instrument_gainrl_code()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        work = Path(folder)
        model, dataset = prepare(work, options.hidden, options.layers, options.rows)
        results = {variant: [] for variant in variants}
        prompts = {variant: [] for variant in variants}
        own = {variant: [] for variant in variants}
        for run in range(options.runs):
            for variant in variants:
                step, mean_prompt, spent = run_variant(variant, model, dataset, work / f"{variant}-{run}", options)
                results[variant].append(step)
                prompts[variant].append(mean_prompt)
                own[variant].append(spent)
                print(f"run {run} {variant}: median step {step * 1000:.1f} ms, mean prompt {mean_prompt:.1f} tokens, "
                      f"gainrl code {spent * 1000:.2f} ms/step", flush=True)
    report(results, prompts, own, options)


def report(results: dict, prompts: dict, own: dict, options) -> None:
    import torch

    medians = {variant: statistics.median(values) for variant, values in results.items()}
    print(f"\n{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, {options}")
    print("| variant | median step time (ms) | per-run medians (ms) | mean prompt tokens drawn | ratio to uniform | "
          "ratio to plain TRL | gainrl code per step (ms, % of step) |")
    print("|---|---|---|---|---|---|---|")
    for variant, values in results.items():
        runs = ", ".join(f"{v * 1000:.1f}" for v in values)
        spent = statistics.median(own[variant])
        print(f"| {variant} | {medians[variant] * 1000:.1f} | {runs} | {statistics.fmean(prompts[variant]):.1f} | "
              f"{medians[variant] / medians['uniform']:.3f} | {medians[variant] / medians['plain']:.3f} | "
              f"{spent * 1000:.2f} ({100 * spent / medians[variant]:.2f} %) |")
    paired = [g / u for g, u in zip(results["gainrl"], results["uniform"])]
    print(f"\npaired per-run ratio gainrl/uniform: median {statistics.median(paired):.3f} "
          f"(min {min(paired):.3f}, max {max(paired):.3f})")


if __name__ == "__main__":
    main()
