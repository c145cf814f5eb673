"""`gainrl quickstart`: the offline end-to-end demonstration, stage by stage with elapsed times.

Now: start a local Hub (storage kept in `--hub-root`), build a tiny model and a synthetic math dataset, push
both, load them back by repo id with `datasets.load_dataset` and `AutoModelForCausalLM.from_pretrained`, score the
training split with `gainrl score` (angle-sorted dataset pushed to the Hub and kept in `<out>/scored-synthetic`),
train the tiny model with `gainrl train` on it (GAIN-RL curriculum; checkpoints on `step-*` branches, final model on
`main`), load the trained model back, print what a user types to do the same, and stop the Hub.

What it does not cover yet: the warm start, the uniform baseline and evaluation (the quickstart issue). It never
contacts
the real Hub: it points every HF client of this process at the local one, so it must run before anything in the
process has imported an HF library (it checks).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gainrl.hub.process import LocalHubProcess, hub_environment

HF_MODULES = ("huggingface_hub", "datasets", "transformers", "trl", "lm_eval", "gradio")


@dataclass
class QuickstartConfig:
    hub_root: str = ".gainrl-hub"
    out_dir: str = "runs/quickstart"
    port: int = 0
    namespace: str = "local"
    train_size: int = 1000
    test_size: int = 200
    seed: int = 0
    train_steps: int = 10

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
    def trained_repo(self) -> str:
        return f"{self.namespace}/gainrl-tiny-qwen2-grpo"

    @property
    def scored_dir(self) -> Path:
        return Path(self.out_dir) / "scored-synthetic"


class Stages:
    """Prints one line per stage with the time it took and the time since the start."""

    def __init__(self):
        self.start = time.monotonic()
        self.timings: dict[str, float] = {}

    def run(self, name: str, function, *args):
        began = time.monotonic()
        print(f"[{began - self.start:6.1f}s] {name} ...", flush=True)
        try:
            result = function(*args)
        except Exception as error:
            raise RuntimeError(f"quickstart stage '{name}' failed: {error}") from error
        self.timings[name] = time.monotonic() - began
        print(f"[{time.monotonic() - self.start:6.1f}s] {name}: done in {self.timings[name]:.1f}s", flush=True)
        return result


def check_environment_is_fresh() -> None:
    imported = [name for name in HF_MODULES if name in sys.modules]
    if imported:
        raise RuntimeError(f"{', '.join(imported)} already imported: run the quickstart in a fresh process so that "
                           "HF_ENDPOINT points at the local Hub")


def build_and_push_model(config: QuickstartConfig) -> None:
    from huggingface_hub import HfApi

    from gainrl.tiny import TinyModelConfig, build_tiny_model

    folder = build_tiny_model(Path(config.out_dir) / "tiny-model", TinyModelConfig(seed=config.seed))
    api = HfApi()
    api.create_repo(config.model_repo, exist_ok=True)
    api.upload_folder(repo_id=config.model_repo, folder_path=folder, commit_message="Tiny model from gainrl tiny")


def build_and_push_dataset(config: QuickstartConfig) -> None:
    import datasets
    from huggingface_hub import DatasetCard

    from gainrl.cards import render_card
    from gainrl.synthetic import train_test_records

    splits = train_test_records(config.train_size, config.test_size, seed=config.seed)
    dataset = datasets.DatasetDict({name: datasets.Dataset.from_list(rows) for name, rows in splits.items()})
    dataset.push_to_hub(config.dataset_repo, commit_message="Synthetic arithmetic problems")
    ours = DatasetCard(render_card("synthetic_dataset_card.md", seed=config.seed,
                                   splits={name: len(rows) for name, rows in splits.items()}))
    card = DatasetCard.load(config.dataset_repo)  # keeps the configs and dataset_info that push_to_hub wrote
    for key, value in ours.data.to_dict().items():
        card.data[key] = value
    card.text = ours.text
    card.push_to_hub(config.dataset_repo, commit_message="Dataset card")


def load_back(config: QuickstartConfig) -> None:
    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer

    train = datasets.load_dataset(config.dataset_repo, split="train")
    print(train)
    print("first row:", train[0])
    model = AutoModelForCausalLM.from_pretrained(config.model_repo)
    tokenizer = AutoTokenizer.from_pretrained(config.model_repo)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": train[0]["problem"]}], tokenize=False,
                                           add_generation_prompt=True)
    print(f"model: {type(model).__name__}, {model.num_parameters():,} parameters, vocabulary {len(tokenizer)}")
    print("chat prompt:", repr(prompt))


def score_and_push(config: QuickstartConfig) -> None:
    from gainrl.score import ScoreArguments, run_score

    run_score(ScoreArguments(model=str(Path(config.out_dir) / "tiny-model"), dataset=config.dataset_repo,
                             split="train", output=str(config.scored_dir), config_name="tiny-qwen2",
                             overwrite=True, push_to_hub=config.scored_repo))


def train_and_push(config: QuickstartConfig) -> None:
    """The settings of recipes/tiny/gainrl.yaml, on the Hub copies of the model and the scored dataset."""
    from gainrl.train import TrainArguments, run_train

    run_train(TrainArguments(
        model_name_or_path=config.model_repo, dataset_name=config.scored_repo, dataset_config="tiny-qwen2",
        output_dir=str(Path(config.out_dir) / "train-gainrl"), reward_funcs=["accuracy", "format"],
        curriculum="gainrl", rank_units="fraction", rank_std=0.1, center_step=0.05, max_shift=0.1, use_cpu=True,
        bf16=False, per_device_train_batch_size=8, num_generations=4, max_completion_length=24,
        learning_rate=1e-4, max_steps=config.train_steps, logging_steps=1, save_strategy="steps",
        save_steps=max(1, config.train_steps // 2), report_to="none", seed=config.seed, disable_tqdm=True,
        push_to_hub=True, hub_model_id=config.trained_repo))


def load_trained(config: QuickstartConfig) -> None:
    import datasets
    from huggingface_hub import HfApi
    from transformers import AutoModelForCausalLM

    scored = datasets.load_dataset(config.scored_repo, "tiny-qwen2", split="train")
    print(f"{config.scored_repo}: {len(scored)} rows, first (highest angle score): {scored[0]['problem']!r}")
    AutoModelForCausalLM.from_pretrained(config.trained_repo)
    branches = sorted(ref.name for ref in HfApi().list_repo_refs(config.trained_repo).branches)
    print(f"{config.trained_repo}: loaded; branches {branches}")


def print_user_lines(config: QuickstartConfig) -> None:
    print(f"""
To do the same yourself (the repos stay in {config.hub_root}; first `source .venv/bin/activate` if you used make):
  gainrl hub serve --root {config.hub_root} --port 8088 &
  export HF_ENDPOINT=http://127.0.0.1:8088 HF_HUB_DISABLE_XET=1
  python -c "import datasets; print(datasets.load_dataset('{config.dataset_repo}', split='train'))"
  python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('{config.model_repo}'))"
  python -c "import datasets; print(datasets.load_dataset('{config.scored_repo}', 'tiny-qwen2', split='train'))"
  python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('{config.trained_repo}'))"
Train again on the local copies (no Hub needed): gainrl train --config recipes/tiny/gainrl.yaml
  (or uniform.yaml, length.yaml, static.yaml); the quickstart's own run is in {Path(config.out_dir) / "train-gainrl"}
""", flush=True)


def run_quickstart(config: QuickstartConfig) -> dict[str, float]:
    check_environment_is_fresh()
    stages = Stages()
    hub = LocalHubProcess(config.hub_root, port=config.port or None, log_path=Path(config.out_dir) / "hub.log")
    stages.run("start local Hub", hub.start)
    try:
        os.environ.update(hub_environment(hub.endpoint))
        print(f"         local Hub at {hub.endpoint}, storage in {Path(config.hub_root).resolve()}")
        stages.run(f"build tiny model and push {config.model_repo}", build_and_push_model, config)
        stages.run(f"build synthetic dataset and push {config.dataset_repo}", build_and_push_dataset, config)
        stages.run("load both back by repo id", load_back, config)
        stages.run(f"gainrl score the training split and push {config.scored_repo}", score_and_push, config)
        stages.run(f"gainrl train ({config.train_steps} steps, GAIN-RL curriculum) and push {config.trained_repo}",
                   train_and_push, config)
        stages.run("load the scored dataset and the trained model back", load_trained, config)
    finally:
        hub.stop()
    print_user_lines(config)
    return stages.timings
