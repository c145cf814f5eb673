"""Sample efficiency of the curricula: does GAIN-RL reach a given held-out accuracy in fewer steps than uniform?

    python bench/bench_curricula.py --seeds 3 --steps 60 --eval-every 10

The quickstart's set-up, offline on CPU: a tiny Qwen2 warm-started by `gainrl.kit.warmstart` (built once into
`--work`), the synthetic training split (1,000 problems) scored by it with `gainrl score`, and the held-out split
(200). Runs, all with the quickstart's GRPO settings (`gainrl.kit.quickstart.train_arguments`) and the same budget:
`gainrl`, `uniform`, `length`, `static` on all the data and `gainrl-half` (GAIN-RL on a seeded random half,
scored on its own), each with `--seeds` seeds. Every `--eval-every` steps a callback measures held-out accuracy
(4 samples per problem at T=0.6 as in the `gainrl_synthetic` task, but top-p 1.0 where the task uses 0.95, so the
numbers sit a little below `gainrl eval`'s; via `gainrl.train.rollouts`).

Reported: mean accuracy per curriculum against steps and prompts seen (plot), final accuracy with a 95 % bootstrap
interval over seeds, the steps each curriculum needs to reach uniform's mean final accuracy (per seed, "not
reached" when it never does) and the speed-up uniform steps / curriculum steps, and the half-data comparison.
Curves are saved per run, so an interrupted benchmark resumes with the runs it has not finished.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RUNS = {"gainrl": ("gainrl", "full"), "uniform": ("uniform", "full"), "length": ("length", "full"),
        "static": ("static", "full"), "gainrl-half": ("gainrl", "half")}
EVAL_SAMPLES, EVAL_TEMPERATURE = 4, 0.6


def prepare(work: Path) -> dict:
    """Warm-started model, scored full and half training sets, held-out records (built once, then reused)."""
    import datasets

    from gainrl.kit.quickstart import tiny_model_config
    from gainrl.kit.synthetic import SYSTEM_PROMPT, prompt_settings, train_test_records
    from gainrl.kit.tiny import build_tiny_model
    from gainrl.kit.warmstart import WarmStartConfig, warm_start, warm_start_report
    from gainrl.score.command import ScoreArguments, run_score

    splits = train_test_records(1000, 200, seed=0)
    base = work / "base-model"
    if not (base / "warm_start.json").exists():
        tiny = build_tiny_model(work / "tiny-model", tiny_model_config(seed=0))
        warm_start(tiny, base, prompt_settings(), {r["problem"] for r in splits["test"]}, WarmStartConfig(seed=100))
        warm_start_report(base, splits["test"], prompt_settings())
    half = sorted(random.Random(0).sample(range(len(splits["train"])), len(splits["train"]) // 2))
    for name, rows in (("full", splits["train"]), ("half", [splits["train"][i] for i in half])):
        source = work / f"train-{name}.parquet"
        if not source.exists():
            datasets.Dataset.from_list(rows).to_parquet(str(source))
        if not (work / f"scored-{name}" / "README.md").exists():
            run_score(ScoreArguments(model=str(base), dataset=str(source), output=str(work / f"scored-{name}"),
                                     system_prompt=SYSTEM_PROMPT, few_shot="none", config_name="tiny"))
    return {"base": str(base), "test": splits["test"],
            "warm_start": json.loads((base / "warm_start.json").read_text())["greedy_accuracy"]}


def held_out_accuracy(model, tokenizer, records: list[dict]) -> float:
    from gainrl.kit.synthetic import prompt_settings
    from gainrl.train.rollouts import correctness, generate_completions

    completions = generate_completions(model, tokenizer, prompt_settings(), [r["problem"] for r in records],
                                       samples=EVAL_SAMPLES, temperature=EVAL_TEMPERATURE, max_new_tokens=48)
    scores = correctness(completions, [r["answer"] for r in records])
    return float(np.mean([np.mean(s) for s in scores]))


def train_one(work: Path, setup: dict, name: str, seed: int, steps: int, eval_every: int) -> dict:
    """One run with its held-out curve; cached in `<work>/curves/`, keyed by run, seed, steps and eval interval."""
    from transformers import TrainerCallback

    from gainrl.kit.quickstart import QuickstartConfig, train_arguments
    from gainrl.train.command import build_trainer
    from gainrl.train.data import load_training_data

    path = work / "curves" / f"{name}-s{seed}-{steps}steps-every{eval_every}.json"
    if path.exists():
        return json.loads(path.read_text())
    curriculum, data_name = RUNS[name]
    args = train_arguments(QuickstartConfig(train_steps=steps, seed=seed), curriculum,
                           model_name_or_path=setup["base"], dataset_name=str(work / f"scored-{data_name}"),
                           dataset_config=None, output_dir=str(work / "runs" / f"{name}-s{seed}"), push_to_hub=False,
                           hub_model_id=None, save_strategy="no", logging_steps=10, disable_tqdm=True)
    data = load_training_data(args.dataset_name, None, None, None, "answer", None, None)
    trainer = build_trainer(args, data)
    curve = [(0, held_out_accuracy(trainer.model, trainer.processing_class, setup["test"]))]

    class HeldOut(TrainerCallback):
        def on_step_end(self, arguments, state, control, **kwargs):
            if state.global_step % eval_every == 0:
                curve.append((state.global_step, held_out_accuracy(trainer.model, trainer.processing_class,
                                                                   setup["test"])))

    trainer.add_callback(HeldOut())
    began = time.monotonic()
    trainer.train()
    result = {"name": name, "seed": seed, "curve": curve, "seconds": round(time.monotonic() - began, 1),
              "prompts_per_step": trainer.curriculum.prompts_per_round,
              "rows": len(data.dataset)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    print(f"{name} seed {seed}: " + ", ".join(f"{step}:{acc:.3f}" for step, acc in curve), flush=True)
    return result


def bootstrap_interval(values: list[float], seed: int = 0, resamples: int = 5000) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean (over seeds)."""
    values = np.asarray(values, dtype=float)
    generator = np.random.default_rng(seed)
    means = values[generator.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def steps_to_reach(curve: list, target: float) -> int | None:
    return next((step for step, accuracy in curve if accuracy >= target), None)


def summarise(results: dict[str, list[dict]]) -> dict:
    target = float(np.mean([run["curve"][-1][1] for run in results["uniform"]]))
    summary = {"target": target}
    for name, runs in results.items():
        finals = [run["curve"][-1][1] for run in runs]
        reached = [steps_to_reach(run["curve"], target) for run in runs]
        steps = [s for s in reached if s is not None]
        during = [float(np.mean([accuracy for step, accuracy in run["curve"] if step > 0])) for run in runs]
        summary[name] = {"final": float(np.mean(finals)), "final_ci": bootstrap_interval(finals),
                         "during": float(np.mean(during)), "during_ci": bootstrap_interval(during),
                         "start": float(np.mean([run["curve"][0][1] for run in runs])),
                         "steps_to_target": reached, "mean_steps": float(np.mean(steps)) if steps else None,
                         "steps_ci": bootstrap_interval(steps) if len(steps) == len(runs) else None}
    uniform_steps = summary["uniform"]["mean_steps"]
    for name in results:
        mean_steps = summary[name]["mean_steps"]
        summary[name]["speedup"] = uniform_steps / mean_steps if mean_steps and uniform_steps else None
    half, full = results["gainrl-half"], results["uniform"]
    differences = [h["curve"][-1][1] - f["curve"][-1][1] for h, f in zip(half, full)]
    summary["half_vs_uniform"] = {"difference": float(np.mean(differences)),
                                  "ci": bootstrap_interval(differences)}
    return summary


def plot(results: dict[str, list[dict]], path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.6), layout="constrained")
    by_steps, by_prompts = figure.subplots(1, 2, sharey=True)
    for index, (name, runs) in enumerate(results.items()):
        steps = np.array([step for step, _ in runs[0]["curve"]])
        curves = np.array([[accuracy for _, accuracy in run["curve"]] for run in runs])
        mean, low, high = curves.mean(0), curves.min(0), curves.max(0)
        for axis, x in ((by_steps, steps), (by_prompts, steps * runs[0]["prompts_per_step"])):
            axis.plot(x, mean, label=f"{name} ({len(runs)} seeds)", color=f"C{index}")
            axis.fill_between(x, low, high, color=f"C{index}", alpha=0.12)
    by_steps.set(xlabel="training step", ylabel="held-out accuracy (avg@4, T=0.6, top-p 1)",
                 title="mean over seeds (band: min-max)")
    by_prompts.set(xlabel="prompts seen", title="same runs against prompts seen")
    by_steps.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def markdown(summary: dict, setup: dict, seeds: int, steps: int, plot_path: str, seconds: list) -> str:
    lines = ["Warm-started model, greedy held-out accuracy: " + ", ".join(
        f"{k} {v:.2f}" for k, v in setup["warm_start"].items()),
        f"Target = uniform's mean final accuracy after {steps} steps: **{summary['target']:.3f}**. {seeds} seeds.",
        "", "| run | start | final (95 % CI over seeds) | mean over the run's evaluations (95 % CI) | steps to target "
            "per seed | mean steps | speed-up vs uniform |",
        "|---|---|---|---|---|---|---|"]
    for name in RUNS:
        row = summary[name]
        low, high = row["final_ci"]
        reached = ", ".join("not reached" if s is None else str(s) for s in row["steps_to_target"])
        mean_steps = "-" if row["mean_steps"] is None else f"{row['mean_steps']:.0f}"
        speedup = "-" if row["speedup"] is None else f"{row['speedup']:.2f}x"
        during_low, during_high = row["during_ci"]
        lines.append(f"| {name} | {row['start']:.3f} | {row['final']:.3f} [{low:.3f}, {high:.3f}] | "
                     f"{row['during']:.3f} [{during_low:.3f}, {during_high:.3f}] | {reached} | {mean_steps} | "
                     f"{speedup} |")
    if summary["target"] <= summary["uniform"]["start"]:
        lines += ["", "Uniform's final accuracy is not above the starting accuracy, so every run meets the target at "
                      "step 0: steps-to-target measures no speed-up here."]
    half = summary["half_vs_uniform"]
    lines += ["", f"Half data: gainrl on 500 problems minus uniform on 1,000, final accuracy: "
                  f"{half['difference']:+.3f} (95 % CI [{half['ci'][0]:+.3f}, {half['ci'][1]:+.3f}]).",
              "", f"Training with evaluations, all {len(seconds)} runs: " + (
                  f"{sum(seconds) / 60:.1f} min (recorded when each run was trained)." if None not in seconds
                  else "not recorded by the cached runs (older format)."),
              "", f"![held-out accuracy against steps and prompts seen]({plot_path})"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--work", default=str(ROOT / "runs" / "bench-curricula"))
    parser.add_argument("--plot", default=str(ROOT / "bench" / "plots" / "curricula.png"))
    args = parser.parse_args()
    work = Path(args.work)
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the Markdown for RESULTS.md
        setup = prepare(work)
        results = {name: [train_one(work, setup, name, seed, args.steps, args.eval_every)
                          for seed in range(args.seeds)] for name in RUNS}
    summary = summarise(results)
    (work / "summary.json").write_text(json.dumps(summary, indent=2))
    plot(results, Path(args.plot))
    seconds = [run.get("seconds") for runs in results.values() for run in runs]
    print(markdown(summary, setup, args.seeds, args.steps, os.path.relpath(args.plot, ROOT / "bench"), seconds))


if __name__ == "__main__":
    main()
