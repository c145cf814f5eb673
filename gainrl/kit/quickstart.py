"""`gainrl quickstart`: the whole pipeline offline, stage by stage with elapsed times, ending in a comparison.

1. start a local Hub (storage kept in `--hub-root`), build a tiny model and a synthetic arithmetic dataset of graded
   difficulty (train and held-out test split) and push the dataset;
2. warm-start the tiny model with a short supervised fine-tune (`gainrl.kit.warmstart`: worked solutions, a share of
   them boxing a wrong number of the problem), print its accuracy per level and push it as the base model;
3. score the training split with `gainrl score` and push the angle-sorted dataset;
4. train two runs from the same base with the same budget and seed, `curriculum: gainrl` and `uniform`, with
   `gainrl train`, pushing both;
5. push the held-out split as the eval suite's `synthetic` config and evaluate base and both runs with `gainrl eval`
   (lm-eval task `gainrl_synthetic`), printing a table;
6. write `summary.json` and plots (training accuracy per step, evaluation, the centre's trajectory), load everything
   back by repo id, and print the lines a user types to do the same and to open the demo.

The model shape, data and warm-start recipe are those of the CPU testbed in `bench/testbed.yaml` (the benchmark,
`bench/bench_curricula.py`, compares the curricula over seeds on it); the quickstart's warm start is shorter, at a
larger learning rate, with slips on the levels its model computes. Everything uses the prompt of
`gainrl.kit.synthetic.prompt_settings()`. A failed stage stops the run with its name and leaves what was done in place.
What it does not cover: anything at realistic scale (the benchmark in `bench/` runs several seeds; this is one). It
never contacts the real Hub: it points every HF client of this process at the local one, so it must run before
anything in the process has imported an HF library (it checks).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from gainrl.hub.process import LocalHubProcess, hub_environment

HF_MODULES = ("huggingface_hub", "datasets", "transformers", "trl", "lm_eval", "gradio")
CURRICULA = ("gainrl", "uniform")
EVAL_TASK = "gainrl_synthetic"
SCORED_CONFIG = "tiny-qwen2"


@dataclass
class QuickstartConfig:
    """Arguments of `gainrl quickstart` (flags, or keys of a YAML file given with `--config`)."""

    hub_root: str = field(default=".gainrl-hub", metadata={"help": "local Hub storage folder, kept after the run"})
    output: str = field(default="runs/quickstart", metadata={"help": "folder for built artefacts"})
    port: int = field(default=0, metadata={"help": "port for the local Hub during the run (default: any free port)"})
    namespace: str = field(default="local", metadata={"help": "namespace of the pushed repos"})
    train_size: int = field(default=1000, metadata={"help": "synthetic training problems"})
    test_size: int = field(default=200, metadata={"help": "held-out test problems"})
    seed: int = field(default=0, metadata={"help": "seed for model and data"})
    sft_steps: int = field(default=800, metadata={"help": "supervised warm-start steps (the testbed's)"})
    train_steps: int = field(default=45, metadata={"help": "GRPO steps of each training run"})
    eval_limit: int | None = field(default=None, metadata={"help": "evaluate only this many held-out problems "
                                                                   "(default: all)"})

    @property
    def model_repo(self) -> str:
        return f"{self.namespace}/gainrl-tiny-qwen2"

    @property
    def dataset_repo(self) -> str:
        return f"{self.namespace}/gainrl-synthetic-math"

    @property
    def scored_repo(self) -> str:
        return f"{self.namespace}/gainrl-synthetic-math-angle-sorted"

    @property
    def eval_suite_repo(self) -> str:
        return f"{self.namespace}/gainrl-eval-suite"

    def trained_repo(self, curriculum: str) -> str:
        return f"{self.namespace}/gainrl-tiny-qwen2-grpo-{curriculum}"

    @property
    def out(self) -> Path:
        return Path(self.output)

    @property
    def scored_dir(self) -> Path:
        return self.out / "scored-synthetic"

    @property
    def base_dir(self) -> Path:
        return self.out / "base-model"


class Stages:
    """Prints one line per stage with the time it took and the time since the start."""

    def __init__(self):
        self.start = time.monotonic()
        self.timings: dict[str, float] = {}

    def run(self, name: str, function, *args):
        began = time.monotonic()
        claim_library_loggers()
        print(f"[{began - self.start:6.1f}s] {name} ...", flush=True)
        try:
            result = function(*args)
        except Exception as error:
            raise RuntimeError(f"quickstart stage '{name}' failed: {error}") from error
        self.timings[name] = round(time.monotonic() - began, 1)
        print(f"[{time.monotonic() - self.start:6.1f}s] {name}: done in {self.timings[name]:.1f}s", flush=True)
        return result


def check_environment_is_fresh() -> None:
    imported = [name for name in HF_MODULES if name in sys.modules]
    if imported:
        raise RuntimeError(f"{', '.join(imported)} already imported: run the quickstart in a fresh process so that "
                           "HF_ENDPOINT points at the local Hub")
    missing = [name for name in ("trl", "lm_eval") if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"the quickstart trains and evaluates, which needs {' and '.join(missing)}: "
                           "pip install 'gainrl[train,eval]' (or run `make quickstart`)")


def import_hf_libraries() -> None:
    """Import the HF libraries now (after HF_ENDPOINT points at the local Hub), so that the handlers they add on
    import are routed to the run log before they print anything."""
    import datasets  # noqa: F401
    import huggingface_hub  # noqa: F401
    import lm_eval  # noqa: F401
    import transformers  # noqa: F401
    import trl  # noqa: F401

    claim_library_loggers()


def claim_library_loggers() -> None:
    """Route libraries imported since the command line claimed the loggers (when it keeps a run log)."""
    from gainrl.run_log import RunLog

    if RunLog.active is not None:
        RunLog.active.claim_library_loggers()


def held_out_split(config: QuickstartConfig) -> dict[str, list[dict]]:
    from gainrl.kit.synthetic import train_test_records

    return train_test_records(config.train_size, config.test_size, seed=config.seed)


def build_and_push_dataset(config: QuickstartConfig, splits: dict[str, list[dict]]) -> None:
    import datasets
    from huggingface_hub import DatasetCard

    from gainrl.cards import render_card

    dataset = datasets.DatasetDict({name: datasets.Dataset.from_list(rows) for name, rows in splits.items()})
    dataset.push_to_hub(config.dataset_repo, commit_message="Synthetic arithmetic problems")
    ours = DatasetCard(render_card("synthetic_dataset_card.md", seed=config.seed,
                                   splits={name: len(rows) for name, rows in splits.items()}))
    card = DatasetCard.load(config.dataset_repo)  # keeps the configs and dataset_info that push_to_hub wrote
    for key, value in ours.data.to_dict().items():
        card.data[key] = value
    card.text = ours.text
    card.push_to_hub(config.dataset_repo, commit_message="Dataset card")


def tiny_model_config(seed: int):
    """The quickstart's model shape (also the benchmark's): Qwen2, hidden 128, 4 layers, about 0.65 M parameters."""
    from gainrl.kit.tiny import TinyModelConfig

    return TinyModelConfig(hidden=128, layers=4, heads=4, seed=seed)


def warm_start_and_push(config: QuickstartConfig, splits: dict[str, list[dict]]) -> dict:
    from huggingface_hub import HfApi

    from gainrl.kit.synthetic import prompt_settings
    from gainrl.kit.tiny import build_tiny_model
    from gainrl.kit.warmstart import WarmStartConfig, warm_start, warm_start_report

    random_init = build_tiny_model(config.out / "tiny-model", tiny_model_config(config.seed))
    held_out = {record["problem"] for record in splits["test"]}
    warm_start(random_init, config.base_dir, prompt_settings(), held_out,
               WarmStartConfig(steps=config.sft_steps, seed=config.seed + 100), log_folder=config.out)
    (config.base_dir / "README.md").write_text((random_init / "README.md").read_text() + WARM_START_NOTE)
    accuracy = warm_start_report(config.base_dir, splits["test"], prompt_settings())
    print("warm-started model, greedy accuracy on the held-out split: "
          + ", ".join(f"{level} {value:.2f}" for level, value in accuracy.items()), flush=True)
    api = HfApi()
    api.create_repo(config.model_repo, exist_ok=True)
    api.upload_folder(repo_id=config.model_repo, folder_path=config.base_dir, ignore_patterns=["sft-checkpoints/*"],
                      commit_message="Tiny model, warm-started by gainrl quickstart")
    return accuracy


WARM_START_NOTE = """
## Warm start

The weights above were then fine-tuned on synthetic problems by `gainrl quickstart` (`gainrl.kit.warmstart`, TRL's
`SFTTrainer`) on worked solutions of which a share box a wrong number of the problem (a slip; most often on the easy
levels), so that the model samples right answers and slips: room for RL. Its accuracy is low by design;
`warm_start.json` records the settings and the greedy accuracy per difficulty level.
"""


def load_back(config: QuickstartConfig) -> None:
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gainrl.kit.synthetic import prompt_settings
    from gainrl.prompts import render

    train = datasets.load_dataset(config.dataset_repo, split="train")
    print(train)
    print("first row:", train[0])
    model = AutoModelForCausalLM.from_pretrained(config.model_repo)
    tokenizer = AutoTokenizer.from_pretrained(config.model_repo)
    print(f"model: {type(model).__name__}, {model.num_parameters():,} parameters, vocabulary {len(tokenizer)}")
    print("chat prompt:", repr(render(tokenizer, prompt_settings(), train[0]["problem"])))


def score_and_push(config: QuickstartConfig) -> None:
    from gainrl.kit.synthetic import SYSTEM_PROMPT
    from gainrl.score.command import ScoreArguments, run_score

    run_score(ScoreArguments(model=config.model_repo, dataset=config.dataset_repo, split="train",
                             output=str(config.scored_dir), config_name=SCORED_CONFIG, system_prompt=SYSTEM_PROMPT,
                             few_shot="none", overwrite=True, push_to_hub=config.scored_repo))


def train_arguments(config: QuickstartConfig, curriculum: str, **overrides):
    """The quickstart's GRPO settings (also recipes/tiny/*.yaml and the benchmark's)."""
    from gainrl.train.command import TrainArguments

    settings = dict(
        model_name_or_path=config.model_repo, dataset_name=config.scored_repo, dataset_config=SCORED_CONFIG,
        output_dir=str(config.out / f"train-{curriculum}"), reward_funcs=["accuracy"], curriculum=curriculum,
        rank_units="fraction", rank_std=0.1, center_step=0.05, max_shift=0.1, use_cpu=True, bf16=False,
        per_device_train_batch_size=256, num_generations=8, max_completion_length=40, temperature=1.0,
        learning_rate=1e-4, lr_scheduler_type="constant", max_steps=config.train_steps, logging_steps=1,
        save_strategy="steps", save_steps=max(1, config.train_steps // 2), report_to="none", seed=config.seed,
        push_to_hub=True, hub_model_id=config.trained_repo(curriculum))
    return TrainArguments(**{**settings, **overrides})


def train_and_push(config: QuickstartConfig, curriculum: str) -> dict:
    from gainrl.train.command import run_train

    trainer = run_train(train_arguments(config, curriculum))
    return {"rewards": [(entry["step"], entry["rewards/accuracy/mean"]) for entry in trainer.state.log_history
                        if "rewards/accuracy/mean" in entry],
            "history": trainer.curriculum.history}


def eval_arguments(config: QuickstartConfig, name: str, repo: str):
    """The `gainrl eval` settings of one row of the table (also the printed command's, see `eval_command`)."""
    from gainrl.eval.command import EvalArguments

    return EvalArguments(model=repo, tasks=EVAL_TASK, output=str(config.out / "eval" / name), batch_size=64,
                         device="cpu", limit=config.eval_limit, seed=config.seed)


def eval_command(config: QuickstartConfig, arguments) -> str:
    """The `gainrl eval` line that reproduces `arguments`' number: every setting that differs from the default,
    and the seed."""
    from dataclasses import fields

    flags = [f"--{item.name} {_flag_value(getattr(arguments, item.name))}" for item in fields(arguments)
             if item.init and item.name != "output"
             and (getattr(arguments, item.name) != item.default or item.name == "seed")]
    return f"GAINRL_EVAL_SUITE={config.eval_suite_repo} gainrl eval {' '.join(flags)}"


def _flag_value(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def models_to_evaluate(config: QuickstartConfig) -> dict[str, str]:
    return {"base": config.model_repo, **{name: config.trained_repo(name) for name in CURRICULA}}


def evaluate_all(config: QuickstartConfig, splits: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """Push the held-out split as the suite's `synthetic` config, then `gainrl eval` the base and both runs."""
    import datasets

    from gainrl.eval.command import run_eval
    from gainrl.eval.suite import SUITE_ENV, SYNTHETIC_CONFIG, synthetic_rows

    rows = synthetic_rows(splits["test"])
    datasets.Dataset.from_list(rows).push_to_hub(config.eval_suite_repo, config_name=SYNTHETIC_CONFIG, split="test")
    os.environ[SUITE_ENV] = config.eval_suite_repo
    models = models_to_evaluate(config)
    table = {}
    for name, repo in models.items():
        results = run_eval(eval_arguments(config, name, repo))
        table[name] = {task: metrics["acc,none"] for task, metrics in results["results"].items()}
    print(f"\nheld-out accuracy ({EVAL_TASK}: avg@4 at T=0.6, {len(rows)} problems):")
    for name, scores in table.items():
        print(f"  {name:8s} {models[name]:45s} {scores[EVAL_TASK]:.3f}")
    print(f"  ({ONE_SEED_NOTE})")
    return table


ONE_SEED_NOTE = ("the base was warm-started to box a wrong number of the problem (a slip) often, so it is weak by "
                 "design; a trained row minus the base is what RL sharpened in this run, one seed of a 0.65 M-parameter "
                 "model. gainrl against uniform needs many seeds: the benchmark in bench/RESULTS.md has the comparison")


def save_plots(config: QuickstartConfig, runs: dict[str, dict], table: dict) -> list[str]:
    from matplotlib.figure import Figure

    folder = config.out / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(10, 3.4), layout="constrained")
    rewards, evaluation, centre = figure.subplots(1, 3)
    for name, run in runs.items():
        steps, values = zip(*run["rewards"]) if run["rewards"] else ((), ())
        rewards.plot(steps, values, label=name, alpha=0.8)
    rewards.set(xlabel="step", ylabel="training accuracy (mean reward)", title="Accuracy on the drawn prompts")
    rewards.legend()
    names = list(table)
    evaluation.bar(names, [table[name][EVAL_TASK] for name in names], color=["grey", "C0", "C1"][:len(names)])
    evaluation.set(ylabel="held-out accuracy", title=EVAL_TASK)
    history = runs["gainrl"]["history"]
    centre.plot([entry["round"] for entry in history], [entry["center"] for entry in history], label="centre")
    centre.scatter([entry["round"] for entry in history for _ in entry["ranks"]],
                   [rank for entry in history for rank in entry["ranks"]], s=3, alpha=0.3, color="C1", label="ranks")
    centre.set(xlabel="round", ylabel="rank in the angle-sorted dataset", title="GAIN-RL centre and draws")
    centre.legend()
    path = folder / "quickstart.png"
    figure.savefig(path, dpi=110)
    return [str(path)]


def write_summary(config: QuickstartConfig, warm: dict, table: dict, plots: list[str], timings: dict) -> Path:
    from gainrl.files import write_json_atomic

    summary = {"hub_root": str(Path(config.hub_root).resolve()),
               "dataset": {"repo": config.scored_repo, "config": SCORED_CONFIG}, "source_dataset": config.dataset_repo,
               "models": models_to_evaluate(config),
               "eval": table, "eval_suite": config.eval_suite_repo, "warm_start_accuracy": warm,
               "plots": plots, "timings": timings}
    path = config.out / "summary.json"
    write_json_atomic(path, summary)
    print(f"summary: {path}")
    return path


def load_trained(config: QuickstartConfig) -> None:
    from huggingface_hub import HfApi
    from transformers import AutoModelForCausalLM

    from gainrl.scored import load_scored

    scored = load_scored(config.scored_repo, SCORED_CONFIG).data
    print(f"{config.scored_repo}: {len(scored)} rows, first (highest angle score): {scored[0]['problem']!r}")
    for name in CURRICULA:
        AutoModelForCausalLM.from_pretrained(config.trained_repo(name))
        branches = sorted(ref.name for ref in HfApi().list_repo_refs(config.trained_repo(name)).branches)
        print(f"{config.trained_repo(name)}: loaded; branches {branches}")


def print_user_lines(config: QuickstartConfig) -> None:
    trained, uniform = config.trained_repo("gainrl"), config.trained_repo("uniform")
    demo_data = f"--sorted-dataset {config.scored_repo} --sorted-config {SCORED_CONFIG}"
    eval_lines = "\n".join(f"  {eval_command(config, eval_arguments(config, name, repo))}"
                           for name, repo in models_to_evaluate(config).items())
    print(f"""
To do the same yourself (the repos stay in {config.hub_root}; first `source .venv/bin/activate` if you used make):
  gainrl hub serve --root {config.hub_root} --port 8088 &
  export HF_ENDPOINT=http://127.0.0.1:8088 HF_HUB_DISABLE_XET=1
  python -c "import datasets; print(datasets.load_dataset('{config.dataset_repo}', split='train'))"
  python -c "import datasets; print(datasets.load_dataset('{config.scored_repo}', '{SCORED_CONFIG}', split='train'))"
  python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('{config.model_repo}'))"
  python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('{trained}'))"
  python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('{uniform}'))"
Evaluate as the table did (each line gives its row's number):
{eval_lines}
Try the trained model in the demo (needs pip install 'gainrl[demo]'; then open http://127.0.0.1:7860):
  gainrl demo --model {trained} --compare {config.model_repo} {demo_data}
Train again on the local copies (no Hub needed): gainrl train --config recipes/tiny/gainrl.yaml
  (or uniform.yaml, length.yaml, static.yaml); summary, plots and runs are in {config.out}
""", flush=True)


def run_quickstart(config: QuickstartConfig) -> dict:
    """All stages; returns the summary's timings."""
    check_environment_is_fresh()
    stages = Stages()
    hub = LocalHubProcess(config.hub_root, port=config.port or None, log_path=config.out / "hub.log")
    stages.run("start local Hub", hub.start)
    try:
        os.environ.update(hub_environment(hub.endpoint))
        import_hf_libraries()
        print(f"         local Hub at {hub.endpoint}, storage in {Path(config.hub_root).resolve()}")
        splits = held_out_split(config)
        stages.run(f"build synthetic dataset and push {config.dataset_repo}", build_and_push_dataset, config, splits)
        warm = stages.run(f"build the tiny model, warm-start it ({config.sft_steps} SFT steps), push "
                          f"{config.model_repo}", warm_start_and_push, config, splits)
        stages.run("load both back by repo id", load_back, config)
        stages.run(f"gainrl score the training split and push {config.scored_repo}", score_and_push, config)
        runs = {name: stages.run(f"gainrl train ({config.train_steps} steps, {name} curriculum) and push "
                                 f"{config.trained_repo(name)}", train_and_push, config, name) for name in CURRICULA}
        table = stages.run(f"gainrl eval of base, gainrl and uniform on {EVAL_TASK}", evaluate_all, config, splits)
        stages.run("load the scored dataset and the trained models back", load_trained, config)
        plots = save_plots(config, runs, table)
    finally:
        hub.stop()
    write_summary(config, warm, table, plots, {**stages.timings, "total": round(time.monotonic() - stages.start, 1)})
    print_user_lines(config)
    return stages.timings
