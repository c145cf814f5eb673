"""The testbed's warm start: a short supervised fine-tune that gives the tiny model some success to build on.

An RL run learns nothing from a policy that never succeeds (every group's rewards are equal, every advantage is 0).
`warm_start` fine-tunes a model with TRL's `SFTTrainer` on synthetic problems (prompt = the question rendered with
the run's `PromptSettings`, completion = `\\boxed{answer}` alone by default, or the worked solution; loss on the
completion only), weighted towards the easy levels and deliberately short, so that sampled answers stay diverse:
the model solves easy problems sometimes and hard ones rarely, and pass@8 lies well above pass@1 (room for RL).
The mix and the step count set that balance. The problems are generated with their own seed and never include the
held-out ones. `warm_start_report` measures greedy accuracy per difficulty level.

What it does not cover: general-purpose SFT (use TRL's `trl sft`), and real datasets or models.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from gainrl.prompts import PromptSettings
from gainrl.run_log import steps_to_log_file


@dataclass
class WarmStartConfig:
    """How much supervised fine-tuning (one pass over `steps * batch_size` fresh problems), on which mix of levels
    (a level listed n times gets n shares)."""

    steps: int = 800
    batch_size: int = 16
    learning_rate: float = 2e-3
    level_mix: tuple[int, ...] = (1, 1, 1, 2, 2, 3, 3, 4, 5)
    seed: int = 100
    completion: str = "answer"

    def __post_init__(self):
        if self.completion not in COMPLETION_FORMATS:
            raise ValueError(f"completion must be one of {COMPLETION_FORMATS}, got {self.completion!r}")


COMPLETION_FORMATS = ("answer", "solution")


def target_text(record: dict, completion: str) -> str:
    """What the model learns to write: `\\boxed{answer}` alone ("answer", a few tokens) or the worked solution."""
    return f"\\boxed{{{record['answer']}}}" if completion == "answer" else record["solution"]


def sft_dataset(settings: PromptSettings, config: WarmStartConfig, exclude: set[str]):
    """Conversational prompt-completion rows (TRL's format) of problems not in `exclude`."""
    import datasets

    from gainrl.synthetic import generate_problems

    records = generate_problems(config.steps * config.batch_size, seed=config.seed, difficulties=config.level_mix,
                                exclude=exclude, distinct=False)
    return datasets.Dataset.from_list([
        {"prompt": settings.messages(record["problem"]),
         "completion": [{"role": "assistant", "content": target_text(record, config.completion)}]}
        for record in records])


def warm_start(model_dir: str | Path, out_dir: str | Path, settings: PromptSettings, exclude: set[str],
               config: WarmStartConfig | None = None, log_folder: str | Path | None = None) -> Path:
    """Fine-tune the model in `model_dir` and save model and tokenizer to `out_dir`; with `log_folder`, the trainer's
    per-step dictionaries go to `log_folder/gainrl.log` (`gainrl.run_log.steps_to_log_file`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    config = config or WarmStartConfig()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    arguments = SFTConfig(
        output_dir=str(Path(out_dir) / "sft-checkpoints"), max_steps=config.steps,
        per_device_train_batch_size=config.batch_size, learning_rate=config.learning_rate,
        lr_scheduler_type="cosine", warmup_steps=max(1, config.steps // 20), logging_steps=max(1, config.steps // 8),
        save_strategy="no", report_to="none", use_cpu=True, bf16=False, seed=config.seed, disable_tqdm=False,
        completion_only_loss=True)
    trainer = SFTTrainer(model=model, args=arguments, processing_class=tokenizer,
                         train_dataset=sft_dataset(settings, config, exclude))
    if log_folder is not None:
        steps_to_log_file(trainer, log_folder)
    trainer.train()
    out_dir = Path(out_dir)
    trainer.model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    (out_dir / "warm_start.json").write_text(json.dumps({"config": asdict(config),
                                                         "prompt_settings": settings.to_dict()}, indent=2))
    return out_dir


def warm_start_report(model_dir: str | Path, records: list[dict], settings: PromptSettings,
                      max_new_tokens: int = 64) -> dict:
    """Greedy accuracy per difficulty level (and `all`) on `records`; also written into `warm_start.json`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gainrl.rollouts import accuracy_by_group, correctness, generate_completions

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    completions = generate_completions(model, tokenizer, settings, [r["problem"] for r in records],
                                       max_new_tokens=max_new_tokens)
    scores = correctness(completions, [r["answer"] for r in records])
    accuracy = {f"level {int(level)}" if level != "all" else level: value
                for level, value in accuracy_by_group(scores, [r["difficulty"] for r in records]).items()}
    path = Path(model_dir) / "warm_start.json"
    if path.is_file():
        path.write_text(json.dumps({**json.loads(path.read_text()), "greedy_accuracy": accuracy}, indent=2))
    return accuracy
