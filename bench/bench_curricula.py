"""The curriculum benchmark on the CPU testbed: which curriculum reaches a held-out accuracy with fewer steps/tokens?

    python bench/bench_curricula.py                      # every arm, every seed; resumes where it stopped
    python bench/bench_curricula.py --max-runs 6 --jobs 2   # at most 6 new runs, two at a time
    python bench/bench_curricula.py --report             # only the tables and plots from the results file

The testbed is `bench/testbed.yaml` (model shape, synthetic data, warm start, GRPO settings, budget, evaluation),
chosen on `uniform` runs and the warm start only (see bench/RESULTS.md). Until it says `frozen: true` the benchmark
runs only `uniform` (the runs that choose it): no curriculum is compared on a testbed that is still being tuned.
`prepare` builds the warm-started tiny model (`gainrl.kit.tiny`, `gainrl.kit.warmstart`), the training split scored with
`gainrl score` (the full split and a seeded half), the base model's pass rate on every training prompt (k samples)
and the held-out split. Every arm trains with `gainrl train`'s trainer (`gainrl.train.build_trainer`) from the same base, with the
same budget and seeds; arms differ only in the curriculum, the order it samples over, the data and group filtering:

    uniform, gainrl, length, static           the curricula of `gainrl train`
    shuffled                                  the GAIN-RL sampler over a seeded random permutation of the rows
    pass-rate                                 the GAIN-RL sampler over the base model's pass-rate order, easiest first
    uniform+filter, gainrl+filter             the same with `filter_groups` (DAPO's dynamic sampling)
    gainrl-half                               gainrl on a seeded half of the training split (compare: uniform on all)
    gainrl-accuracy-only, gainrl-angle-only   one term of the centre update zeroed (angle / accuracy sensitivity 0)

Each run is evaluated at fixed steps (first at step 0) on the held-out split (avg@k at the testbed's temperature,
`gainrl.train.rollouts`), recording optimizer steps, prompts seen, generated (completion) tokens and training wall-clock
seconds (evaluations excluded), and the share of zero-variance groups per round. Raw results go to
`bench/results/curricula.json` ({"config", "runs": [...]}); it is rewritten atomically after every finished run and
is the cache: a rerun skips the runs it holds. The order of runs is seed 0 of every arm, then seed 1, ... so a
partial benchmark is already a comparison. The Markdown for RESULTS.md (stdout) is computed from that file only:
final accuracy per arm, steps and generated tokens to reach uniform's mean final accuracy (the paper's measure) and
to reach 90 % of uniform's mean gain (reachable when curves are flat), speed-ups over uniform, the half-data
difference, all with 95 % bootstrap intervals over seeds.

Everything runs on a GPU when there is one: `--testbed bench/testbed-gpu.yaml` (the same testbed with a model 12x
larger) is the shortened GPU benchmark of RESULTS.md. What it does not cover: models of the paper's size (their
recipes are in `recipes/train/`), and statistics beyond percentile bootstraps over seeds.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
TESTBED = ROOT / "bench" / "testbed.yaml"
RESULTS = ROOT / "bench" / "results" / "curricula.json"
PLOTS = ROOT / "bench" / "plots"


@dataclass(frozen=True)
class Arm:
    curriculum: str
    order: str = "curriculum"  # curriculum's own order, "shuffled" or "pass-rate"
    data: str = "full"
    filter_groups: bool = False
    overrides: dict = field(default_factory=dict)
    seeds: int = 5


ARMS = {
    "uniform": Arm("uniform"), "gainrl": Arm("gainrl"), "length": Arm("length"),
    "shuffled": Arm("gainrl", order="shuffled"), "pass-rate": Arm("gainrl", order="pass-rate"),
    "gainrl-half": Arm("gainrl", data="half"),
    "uniform+filter": Arm("uniform", filter_groups=True), "gainrl+filter": Arm("gainrl", filter_groups=True),
    "static": Arm("static", seeds=3),
    "gainrl-accuracy-only": Arm("gainrl", overrides={"angle_sensitivity": 0.0}, seeds=3),
    "gainrl-angle-only": Arm("gainrl", overrides={"accuracy_sensitivity": 0.0}, seeds=3),
}


def load_testbed(path: Path = TESTBED) -> dict:
    return yaml.safe_load(path.read_text())


def config_digest(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def work_folder(root: Path, config: dict) -> Path:
    """Where the prepared testbed lives: one folder per model, data, warm start and sampling settings, and per
    version of the code that builds them (a changed generator or warm start must not reuse an old base model)."""
    prepared = {key: config[key] for key in ("model", "data", "warm_start", "start")}
    code = {module: hashlib.sha256((ROOT / "gainrl" / "kit" / module).read_bytes()).hexdigest()
            for module in ("synthetic.py", "tiny.py", "warmstart.py")}
    return root / config_digest({**prepared, "eval": {k: v for k, v in config["eval"].items() if k != "every"},
                                 "code": code})


# ---------------------------------------------------------------------------------------------------- preparation

def prepare(work: Path, config: dict) -> dict:
    """Warm-started model, scored full and half training sets, base pass rates (built once into `work`)."""
    from gainrl.kit.synthetic import train_test_records

    data = config["data"]
    splits = train_test_records(data["train_size"], data["test_size"], seed=data["seed"])
    base = build_base(work, config, splits)
    score_splits(work, base, splits["train"], config)
    stats_path = work / "start.json"
    if not stats_path.exists():
        write_json(stats_path, start_statistics(base, splits, config))
    return {"base": str(base), "splits": splits, "start": json.loads(stats_path.read_text())}


def build_base(work: Path, config: dict, splits: dict) -> Path:
    from gainrl.kit.synthetic import prompt_settings
    from gainrl.kit.tiny import TinyModelConfig, build_tiny_model
    from gainrl.kit.warmstart import WarmStartConfig, warm_start

    base = work / "base-model"
    if not (base / "warm_start.json").exists():
        tiny = build_tiny_model(work / "tiny-model", TinyModelConfig(**config["model"]))
        warm_start(tiny, base, prompt_settings(), {r["problem"] for r in splits["test"]},
                   WarmStartConfig(**config["warm_start"]))
    return base


def half_rows(train_size: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(range(train_size), train_size // 2))


def score_splits(work: Path, base: Path, train: list[dict], config: dict) -> None:
    import datasets

    from gainrl.score import ScoreArguments, run_score
    from gainrl.kit.synthetic import SYSTEM_PROMPT

    half = [train[i] for i in half_rows(len(train), config["data"]["seed"])]
    for name, rows in (("full", train), ("half", half)):
        source = work / f"train-{name}.parquet"
        if not source.exists():
            datasets.Dataset.from_list(rows).to_parquet(str(source))
        if not (work / f"scored-{name}" / "README.md").exists():
            run_score(ScoreArguments(model=str(base), dataset=str(source), output=str(work / f"scored-{name}"),
                                     system_prompt=SYSTEM_PROMPT, few_shot="none", config_name="tiny"))


def sample_scores(model, tokenizer, records: list[dict], samples: int, temperature: float, max_new_tokens: int,
                  seed: int = 0) -> np.ndarray:
    """Correctness, one row per record, one column per sample."""
    from gainrl.train.rollouts import correctness, generate_completions
    from gainrl.kit.synthetic import prompt_settings

    completions = generate_completions(model, tokenizer, prompt_settings(), [r["problem"] for r in records],
                                       samples=samples, temperature=temperature, max_new_tokens=max_new_tokens,
                                       batch_size=128, seed=seed)
    return np.asarray(correctness(completions, [r["answer"] for r in records]), dtype=float)


def per_level(rates: np.ndarray, records: list[dict]) -> dict[str, float]:
    levels = np.array([r["difficulty"] for r in records])
    return {f"level {int(level)}": round(float(rates[levels == level].mean()), 4) for level in sorted(set(levels))}


def start_statistics(base: Path, splits: dict, config: dict) -> dict:
    """The base model on the training split (k samples each: pass rate per prompt, never/always solved, per level)
    and on the held-out split (the evaluation's avg@k)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gainrl.models import resolve_device

    model = AutoModelForCausalLM.from_pretrained(base).to(resolve_device("auto"))
    tokenizer, start, evaluation = AutoTokenizer.from_pretrained(base), config["start"], config["eval"]
    train = sample_scores(model, tokenizer, splits["train"], start["samples"], start["temperature"],
                          evaluation["max_new_tokens"])
    rates = train.mean(1)
    held_out = sample_scores(model, tokenizer, splits["test"], evaluation["samples"], evaluation["temperature"],
                             evaluation["max_new_tokens"]).mean(1)
    greedy = sample_scores(model, tokenizer, splits["test"], 1, 0.0, evaluation["max_new_tokens"]).mean(1)
    unsolved = [record for record, rate in zip(splits["train"], rates) if rate == 0]
    again = sample_scores(model, tokenizer, unsolved, start["samples"], start["temperature"],
                          evaluation["max_new_tokens"], seed=1) if unsolved else np.zeros((0, 1))
    return {"train_pass_rate": [round(float(r), 4) for r in rates], "train_avg": float(rates.mean()),
            "train_pass_at_k": float((rates > 0).mean()), "never_solved": float((rates == 0).mean()),
            "always_solved": float((rates == 1).mean()), "train_by_level": per_level(rates, splits["train"]),
            "train_pass_at_k_by_level": per_level((rates > 0).astype(float), splits["train"]),
            "held_out_avg": float(held_out.mean()), "held_out_by_level": per_level(held_out, splits["test"]),
            "held_out_greedy": float(greedy.mean()),
            "never_solved_by_base_again": float((again.max(1) > 0).mean()) if unsolved else 0.0}


# ---------------------------------------------------------------------------------------------------- one run

def rank_order(arm: Arm, data, start: dict, seed: int) -> list[int] | None:
    """The rank -> row order the GAIN-RL sampler walks, for the arms that replace the angle order."""
    rows = len(data.dataset)
    if arm.order == "shuffled":
        return [int(row) for row in np.random.default_rng(seed).permutation(rows)]
    if arm.order == "pass-rate":
        rates, angle_rank = start["train_pass_rate"], {row: rank for rank, row in enumerate(data.angle_order)}
        return sorted(range(rows), key=lambda row: (-rates[row], angle_rank[row]))
    return None


def train_arguments_for(arm: Arm, config: dict, work: Path, base: str, seed: int, run_dir: Path):
    from gainrl.train import TrainArguments

    settings = {**config["grpo"], **config["curriculum"], **arm.overrides}
    if arm.filter_groups:
        settings["filter_groups"] = True
    return TrainArguments(
        model_name_or_path=base, dataset_name=str(work / f"scored-{arm.data}"), output_dir=str(run_dir),
        reward_funcs=["accuracy"], curriculum=arm.curriculum, bf16=False, save_strategy="no",
        logging_steps=1, report_to="none", disable_tqdm=True, seed=seed, **settings)


class Meter:
    """Counts the prompts and completion tokens the trainer generates for (every pass, filtering included)."""

    def __init__(self, trainer):
        self.prompts = self.tokens = 0
        original, generations = trainer._generate_single_turn, trainer.num_generations

        def counted(prompt_ids, *args, **kwargs):
            completion_ids, logprobs = original(prompt_ids, *args, **kwargs)
            if trainer.model.training:
                self.prompts += len(prompt_ids) // generations
                self.tokens += sum(len(ids) for ids in completion_ids)
            return completion_ids, logprobs

        trainer._generate_single_turn = counted


def run_one(arm_name: str, seed: int, config: dict, work: str, threads: int = 1) -> dict:
    """Train one arm with one seed, evaluating at the testbed's fixed steps; returns the run's record."""
    import torch
    from transformers import TrainerCallback

    from gainrl.train import build_trainer
    from gainrl.train.data import load_training_data

    torch.set_num_threads(threads)
    work, arm = Path(work), ARMS[arm_name]
    with contextlib.redirect_stdout(sys.stderr):
        setup = prepare(work, config)
        args = train_arguments_for(arm, config, work, setup["base"], seed, work / "runs" / f"{arm_name}-s{seed}")
        data = load_training_data(args.dataset_name, None, None, None, "answer", None, None)
        order = rank_order(arm, data, setup["start"], seed)
        if order is not None:
            data.angle_order = order
        trainer = build_trainer(args, data)
        meter, evaluation, test = Meter(trainer), config["eval"], setup["splits"]["test"]
        record = {"arm": arm_name, "seed": seed, "train_fraction": len(data.dataset) / config["data"]["train_size"],
                  "evals": []}
        clock = {"train": 0.0, "since": time.monotonic()}

        def evaluate(step: int) -> None:
            clock["train"] += time.monotonic() - clock["since"]
            scores = sample_scores(trainer.model, trainer.processing_class, test, evaluation["samples"],
                                   evaluation["temperature"], evaluation["max_new_tokens"]).mean(1)
            record["evals"].append({"step": step, "prompts_seen": meter.prompts, "generated_tokens": meter.tokens,
                                    "wall_s": round(clock["train"], 2), "accuracy": float(scores.mean()),
                                    "accuracy_by_level": per_level(scores, test)})
            clock["since"] = time.monotonic()

        class HeldOut(TrainerCallback):
            def on_step_end(self, arguments, state, control, **kwargs):
                if state.global_step % evaluation["every"] == 0 or state.global_step == args.max_steps:
                    evaluate(state.global_step)

        evaluate(0)
        trainer.add_callback(HeldOut())
        trainer.train()
        record["zero_variance"] = [[entry["step"], entry["frac_reward_zero_std"]] for entry in
                                   trainer.state.log_history if "frac_reward_zero_std" in entry]
        record["train_accuracy"] = [[entry["step"], entry["rewards/accuracy/mean"]] for entry in
                                    trainer.state.log_history if "rewards/accuracy/mean" in entry]
        if arm_name == "uniform":
            record["start_unsolved_now_solved"] = newly_solved(trainer, setup, config)
    print(f"{arm_name} seed {seed}: " + ", ".join(f"{e['step']}:{e['accuracy']:.3f}" for e in record["evals"])
          + f" ({record['evals'][-1]['wall_s']:.0f}s training)", file=sys.stderr, flush=True)
    return record


def newly_solved(trainer, setup: dict, config: dict) -> dict:
    """Of the training prompts the base never solved in k samples, the share the trained model solves at least once."""
    rates, train, start = setup["start"]["train_pass_rate"], setup["splits"]["train"], config["start"]
    unsolved = [record for record, rate in zip(train, rates) if rate == 0]
    scores = sample_scores(trainer.model, trainer.processing_class, unsolved, start["samples"], start["temperature"],
                           config["eval"]["max_new_tokens"], seed=1)
    return {"prompts": len(unsolved), "now_solved": float((scores.max(1) > 0).mean())}


# ---------------------------------------------------------------------------------------------------- the benchmark

def write_json(path: Path, value) -> None:
    from gainrl.files import write_json_atomic

    write_json_atomic(path, value)


def load_results(path: Path, config: dict) -> dict:
    if not path.exists():
        return {"config": config, "runs": []}
    results = json.loads(path.read_text())
    if results["config"] != config:
        raise SystemExit(f"{path} holds runs of another testbed config; move it away to start a new benchmark")
    return results


def planned_runs(arms: list[str], max_seeds: int | None) -> list[tuple[str, int]]:
    """Seed 0 of every arm, then seed 1, ... (each arm up to its own number of seeds)."""
    most = max(ARMS[arm].seeds for arm in arms)
    return [(arm, seed) for seed in range(most) for arm in arms
            if seed < min(ARMS[arm].seeds, max_seeds or ARMS[arm].seeds)]


def filtering_available() -> bool:
    from gainrl.train import TrainArguments

    return "filter_groups" in TrainArguments.__dataclass_fields__


def runs_to_do(config: dict, results: dict, arms: list[str], seeds: int | None, filtering: bool) -> list[tuple]:
    """The planned runs not in `results`: only `uniform` while the testbed is not frozen, no filtering runs while
    `gainrl train` has no `filter_groups`."""
    done = {(run["arm"], run["seed"]) for run in results["runs"]}
    todo = [run for run in planned_runs(arms, seeds) if run not in done]
    if not config.get("frozen", False):
        print("the testbed is not frozen (frozen: false): only uniform runs, which choose its settings; no "
              "curriculum is compared before the testbed is frozen", file=sys.stderr)
        todo = [run for run in todo if run[0] == "uniform"]
    if not filtering:
        print("filter_groups is not in gainrl train yet: filtering runs skipped", file=sys.stderr)
        todo = [run for run in todo if not ARMS[run[0]].filter_groups]
    return todo


def run_benchmark(args, config: dict) -> dict:
    results_path = Path(args.results)
    results = load_results(results_path, config)
    todo = runs_to_do(config, results, args.arms, args.seeds, filtering_available())
    todo = todo[:args.max_runs] if args.max_runs is not None else todo
    import torch

    torch.set_num_threads(args.threads)  # more threads than free cores slows tiny models down several times
    with contextlib.redirect_stdout(sys.stderr):
        start = prepare(Path(args.work), config)["start"]  # once, before the workers share it
    results["start"] = {key: value for key, value in start.items() if key != "train_pass_rate"}
    deadline = time.time() + args.stop_after_minutes * 60 if args.stop_after_minutes else None
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        pending = {}
        queue = list(todo)
        while queue or pending:
            while queue and len(pending) < args.jobs and (deadline is None or time.time() < deadline):
                arm, seed = queue.pop(0)
                pending[pool.submit(run_one, arm, seed, config, args.work, args.threads)] = (arm, seed)
            if not pending:
                break
            future = next(as_completed(pending))
            pending.pop(future)
            results["runs"].append(future.result())
            write_json(results_path, results)
    return results


# ---------------------------------------------------------------------------------------------------- the report

def bootstrap_interval(values, seed: int = 0, resamples: int = 5000, statistic=np.mean) -> tuple[float, float]:
    """95 % percentile bootstrap interval of `statistic` over the values (seeds)."""
    values = np.asarray(values, dtype=float)
    draws = values[np.random.default_rng(seed).integers(0, len(values), (resamples, len(values)))]
    estimates = np.array([statistic(draw) for draw in draws])
    return float(np.percentile(estimates, 2.5)), float(np.percentile(estimates, 97.5))


def by_arm(results: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for run in sorted(results["runs"], key=lambda run: run["seed"]):
        grouped.setdefault(run["arm"], []).append(run)
    return {arm: grouped[arm] for arm in ARMS if arm in grouped}


def first_reaching(run: dict, target: float, key: str) -> float | None:
    return next((entry[key] for entry in run["evals"] if entry["accuracy"] >= target), None)


def speedup(uniform_costs: list, arm_costs: list) -> tuple[float, tuple[float, float]] | None:
    """Mean uniform cost / mean arm cost to reach the target, with a bootstrap CI (runs resampled per arm)."""
    if not uniform_costs or not arm_costs or None in uniform_costs or None in arm_costs or 0 in arm_costs:
        return None
    generator = np.random.default_rng(0)
    uniform, arm = np.asarray(uniform_costs, float), np.asarray(arm_costs, float)
    ratios = [uniform[generator.integers(0, len(uniform), len(uniform))].mean()
              / max(arm[generator.integers(0, len(arm), len(arm))].mean(), 1e-9) for _ in range(5000)]
    return float(uniform.mean() / arm.mean()), (float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5)))


MOST_OF_GAIN = 0.9  # the second target: 90 % of uniform's mean gain (its final is out of reach once curves are flat)


def costs_to(target: float, runs: list[dict], uniform: list[dict]) -> dict:
    """Steps and generated tokens each run needs to reach `target`, and the speed-up over uniform's runs."""
    row = {}
    for key in ("step", "generated_tokens"):
        row[f"{key}_to_target"] = [first_reaching(run, target, key) for run in runs]
        row[f"{key}_speedup"] = speedup([first_reaching(r, target, key) for r in uniform], row[f"{key}_to_target"])
    return row


def summarise(results: dict) -> dict:
    arms = by_arm(results)
    if "uniform" not in arms:
        return {"arms": {}}
    target = float(np.mean([run["evals"][-1]["accuracy"] for run in arms["uniform"]]))
    start = float(np.mean([run["evals"][0]["accuracy"] for run in arms["uniform"]]))
    summary = {"target": target, "most_of_gain": start + MOST_OF_GAIN * (target - start), "arms": {}}
    for arm, runs in arms.items():
        finals = [run["evals"][-1]["accuracy"] for run in runs]
        row = {"seeds": [run["seed"] for run in runs],
               "start": float(np.mean([r["evals"][0]["accuracy"] for r in runs])),
               "final": float(np.mean(finals)), "final_ci": bootstrap_interval(finals) if len(runs) > 1 else None}
        row.update(costs_to(target, runs, arms["uniform"]))
        row["most_of_gain"] = costs_to(summary["most_of_gain"], runs, arms["uniform"])
        row["zero_variance"] = float(np.mean([np.mean([v for _, v in run["zero_variance"]]) for run in runs]))
        row["wall_s"] = float(np.mean([run["evals"][-1]["wall_s"] for run in runs]))
        summary["arms"][arm] = row
    summary["half"] = paired_difference(arms.get("gainrl-half", []), arms["uniform"])
    summary["gain"] = [run["evals"][-1]["accuracy"] - run["evals"][0]["accuracy"] for run in arms["uniform"]]
    return summary


def paired_difference(first: list[dict], second: list[dict]) -> dict | None:
    seconds = {run["seed"]: run["evals"][-1]["accuracy"] for run in second}
    differences = [run["evals"][-1]["accuracy"] - seconds[run["seed"]] for run in first if run["seed"] in seconds]
    if not differences:
        return None
    return {"seeds": len(differences), "difference": float(np.mean(differences)),
            "ci": bootstrap_interval(differences) if len(differences) > 1 else None}


def plot(results: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 3.8), layout="constrained")
    by_steps, by_tokens = figure.subplots(1, 2, sharey=True)
    for index, (arm, runs) in enumerate(by_arm(results).items()):
        length = min(len(run["evals"]) for run in runs)
        accuracy = np.array([[e["accuracy"] for e in run["evals"][:length]] for run in runs]).mean(0)
        steps = [e["step"] for e in runs[0]["evals"][:length]]
        tokens = np.array([[e["generated_tokens"] for e in run["evals"][:length]] for run in runs]).mean(0)
        style = {"label": f"{arm} ({len(runs)})", "color": f"C{index % 10}", "linestyle": "--" if index >= 10 else "-"}
        by_steps.plot(steps, accuracy, **style)
        by_tokens.plot(tokens, accuracy, **style)
    by_steps.set(xlabel="optimizer step", ylabel="held-out accuracy (avg@k)", title="mean over seeds (n seeds)")
    by_tokens.set(xlabel="generated tokens", title="same runs against generated tokens")
    by_steps.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def _interval(values) -> str:
    return "" if values is None else f" [{values[0]:.3f}, {values[1]:.3f}]"


def _speedup(value) -> str:
    return "-" if value is None else f"{value[0]:.2f}x [{value[1][0]:.2f}, {value[1][1]:.2f}]"


def _cost_cells(costs: dict) -> str:
    """Steps to the target per seed, their speed-up, generated tokens to it per seed, theirs (`costs_to`'s row)."""
    return (f"{_costs(costs['step_to_target'])} | {_speedup(costs['step_speedup'])} | "
            f"{_costs(costs['generated_tokens_to_target'])} | {_speedup(costs['generated_tokens_speedup'])}")


def _costs(values: list) -> str:
    return ", ".join("not reached" if v is None else f"{v:,.0f}" for v in values)


def start_lines(start: dict | None) -> list[str]:
    """The base model's difficulty profile (training split, k samples; held-out avg@k)."""
    if not start:
        return []
    levels = list(start["train_by_level"])
    return ["| base model | " + " | ".join(levels) + " | all |", "|---|" + "---|" * (len(levels) + 1),
            "| training split, mean pass rate | " + " | ".join(f"{start['train_by_level'][l]:.3f}" for l in levels)
            + f" | {start['train_avg']:.3f} |",
            "| training split, solved at least once (pass@k) | " + " | ".join(
                f"{start['train_pass_at_k_by_level'][l]:.3f}" for l in levels) + f" | {start['train_pass_at_k']:.3f} |",
            "| held-out split, avg@k | " + " | ".join(f"{start['held_out_by_level'][l]:.3f}" for l in levels)
            + f" | {start['held_out_avg']:.3f} |", "",
            f"Training prompts never solved in k samples: {start['never_solved']:.1%}; always solved: "
            f"{start['always_solved']:.1%} (zero-variance groups at the start). Held-out greedy accuracy: "
            f"{start['held_out_greedy']:.3f}.", ""]


def solved_line(results: dict) -> list[str]:
    solved = [run["start_unsolved_now_solved"] for run in results["runs"] if "start_unsolved_now_solved" in run]
    if not solved:
        return []
    shares = ", ".join(f"{entry['now_solved']:.1%}" for entry in solved)
    chance = (results.get("start") or {}).get("never_solved_by_base_again")
    control = "" if chance is None else f" (the base itself, sampled again: {chance:.1%})"
    return [f"Training prompts the base never solved ({solved[0]['prompts']}) that the final uniform model solves at "
            f"least once in k samples, per seed: {shares}{control}.", ""]


def most_of_gain_lines(summary: dict) -> list[str]:
    """The second target's table: 90 % of uniform's mean gain, which flat curves still reach."""
    lines = ["", f"Second target: {MOST_OF_GAIN:.0%} of uniform's mean gain, held-out accuracy "
                 f"**{summary['most_of_gain']:.3f}**:", "",
             "| arm | steps to it per seed | speed-up in steps (95 % CI) | generated tokens to it per seed | "
             "speed-up in tokens (95 % CI) |", "|---|---|---|---|---|"]
    for arm, row in summary["arms"].items():
        lines.append(f"| {arm} | {_cost_cells(row['most_of_gain'])} |")
    return lines


def level_lines(results: dict) -> list[str]:
    """Held-out accuracy per level, mean over seeds, at each arm's first evaluation after step 0 and at its last."""
    arms = {arm: runs for arm, runs in by_arm(results).items()
            if all(len(run["evals"]) > 1 and "accuracy_by_level" in run["evals"][-1] for run in runs)}
    if not arms:
        return []
    lines = ["", "Held-out accuracy by level (mean over seeds), at the first evaluation after step 0 and at the last:",
             "", "| arm | step | levels 1 / 2 / ... | step | levels 1 / 2 / ... |", "|---|---|---|---|---|"]
    for arm, runs in arms.items():
        cells = []
        for index in (1, -1):
            levels = runs[0]["evals"][index]["accuracy_by_level"]
            means = [np.mean([run["evals"][index]["accuracy_by_level"][level] for run in runs]) for level in levels]
            cells.append(f"{runs[0]['evals'][index]['step']} | " + " / ".join(f"{mean:.2f}" for mean in means))
        lines.append(f"| {arm} | {cells[0]} | {cells[1]} |")
    return lines


def markdown(results: dict, summary: dict, plot_path: str) -> str:
    if not summary["arms"]:
        return "No uniform run finished yet: nothing to compare."
    lines = start_lines(results.get("start")) + solved_line(results)
    lines += [f"Runs finished: {len(results['runs'])}. Target = uniform's mean final held-out accuracy: "
             f"**{summary['target']:.3f}**.", "",
             "| arm | seeds | start | final (95 % CI over seeds) | steps to target per seed | speed-up in steps "
             "(95 % CI) | generated tokens to target per seed | speed-up in tokens (95 % CI) | zero-variance "
             "groups | training s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for arm, row in summary["arms"].items():
        lines.append(f"| {arm} | {len(row['seeds'])} | {row['start']:.3f} | {row['final']:.3f}"
                     f"{_interval(row['final_ci'])} | {_cost_cells(row)} | {row['zero_variance']:.2f} | "
                     f"{row['wall_s']:.0f} |")
    lines += most_of_gain_lines(summary) + level_lines(results)
    gain = summary["gain"]
    lines += ["", f"Uniform's gain over the base (final minus step 0), {len(gain)} seeds: {np.mean(gain):+.3f}"
                  + (_interval(bootstrap_interval(gain)) if len(gain) > 1 else "") + "."]
    half = summary["half"]
    if half:
        lines += [f"Half data: gainrl on half the training split minus uniform on all of it, final accuracy, "
                  f"{half['seeds']} paired seeds: {half['difference']:+.3f}{_interval(half['ci'])}."]
    missing = [f"{arm} ({ARMS[arm].seeds - len(summary['arms'].get(arm, {}).get('seeds', []))})" for arm in ARMS
               if len(summary["arms"].get(arm, {}).get("seeds", [])) < ARMS[arm].seeds]
    if missing:
        lines += [f"Not run yet (seeds missing): {', '.join(missing)}."]
    return "\n".join(lines + ["", f"![held-out accuracy against steps and generated tokens]({plot_path})"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--testbed", default=str(TESTBED))
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--work", default=str(ROOT / "runs" / "bench-curricula"))
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--seeds", type=int, default=None, help="at most this many seeds per arm")
    parser.add_argument("--max-runs", type=int, default=None, help="at most this many new runs")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (and for the preparation)")
    parser.add_argument("--stop-after-minutes", type=float, default=None, help="start no run after this")
    parser.add_argument("--report", action="store_true", help="only the tables and plots from the results file")
    parser.add_argument("--plot", default=str(PLOTS / "curricula.png"))
    args = parser.parse_args()
    config = load_testbed(Path(args.testbed))
    args.work = str(work_folder(Path(args.work), config))
    results = load_results(Path(args.results), config) if args.report else run_benchmark(args, config)
    summary = summarise(results)
    plot(results, Path(args.plot))
    print(markdown(results, summary, os.path.relpath(args.plot, ROOT / "bench")))


if __name__ == "__main__":
    main()
