"""The testbed's warm start: a short supervised fine-tune that gives the tiny model some success to build on.

An RL run learns nothing from a policy that never succeeds (every group's rewards are equal, every advantage is 0).
`warm_start` fine-tunes a model with TRL's `SFTTrainer` on synthetic problems (prompt = the question rendered with
the run's `PromptSettings`, completion = the worked solution by default, or `\\boxed{answer}` alone; loss on the
completion only) on a chosen mix of levels. With `slip_share`, each problem boxes another number of the problem (an
operand or an intermediate result, the slip of a weak model) at its own rate, on average its level's share, while the
worked steps stay right; so the model learns to sample the right answer *and* slips, and pass@k lies well above
pass@1: the situation in which RL with verifiable rewards is known to help most (it sharpens what the model can
already sample). The problems are generated with their own seed and never include the held-out ones.
`warm_start_report` measures greedy accuracy per difficulty level.

What it does not cover: general-purpose SFT (use TRL's `trl sft`), and real datasets or models.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from gainrl.prompts import PromptSettings
from gainrl.run_log import steps_to_log_file


@dataclass
class WarmStartConfig:
    """How much supervised fine-tuning (one pass over `steps * batch_size` fresh problems), on which mix of levels
    (a level listed n times gets n shares), and how noisy its demonstrations are (`slip_share`, per level). The
    defaults are the quickstart's: a short warm start that computes levels 1-2 best, so those slip most (RL has the
    most to sharpen where the model can do the arithmetic). The benchmark's testbed (`bench/testbed.yaml`) trains
    longer and gives level 1 no slips."""

    steps: int = 800
    batch_size: int = 32
    learning_rate: float = 3e-3
    level_mix: tuple[int, ...] = (1, 1, 1, 2, 2, 3, 3, 4, 5)
    seed: int = 100
    completion: str = "solution"
    slip_share: tuple[float, ...] = (0.8, 0.8, 0.5, 0.5, 0.5)

    def __post_init__(self):
        self.level_mix, self.slip_share = tuple(self.level_mix), tuple(self.slip_share)
        if self.completion not in COMPLETION_FORMATS:
            raise ValueError(f"completion must be one of {COMPLETION_FORMATS}, got {self.completion!r}")
        if any(not 0.0 <= share <= 1.0 for share in self.slip_share):
            raise ValueError(f"slip_share values are probabilities in [0, 1], got {self.slip_share}")


COMPLETION_FORMATS = ("answer", "solution")


def target_text(record: dict, completion: str) -> str:
    """What the model learns to write: `\\boxed{answer}` alone ("answer", a few tokens) or the worked solution."""
    return f"\\boxed{{{record['answer']}}}" if completion == "answer" else record["solution"]


def slip_answer(record: dict, rng: random.Random) -> int:
    """Another number of the worked solution (an operand or an intermediate result), as a weak model that boxes the
    wrong number would write; answer + 1 when the solution holds no other number."""
    answer = int(record["answer"])
    steps = record["solution"].rpartition(" The answer is")[0]
    others = sorted({int(number) for number in re.findall(r"\d+", steps)} - {answer})
    return rng.choice(others) if others else answer + 1


def with_slips(records: list[dict], shares: tuple[float, ...], seed: int) -> list[dict]:
    """Copies of `records` in which a record boxes a slip (`slip_answer`) with its problem's own slip rate: uniform
    between 0 and twice its level's share (`shares[L - 1]`, capped at 1), fixed per problem text, so that some
    problems are answered cleanly and others slip often, as a real model's are; the worked steps stay right."""
    rng = random.Random(seed)
    level_share = dict(enumerate(shares, start=1))
    return [with_answer(record, slip_answer(record, rng)) if rng.random() < slip_rate(record, level_share)
            else record for record in records]


def slip_rate(record: dict, level_share: dict[int, float]) -> float:
    """The problem's slip rate: twice its level's share times a number in [0, 1) fixed by the problem's text."""
    fraction = int(hashlib.sha256(record["problem"].encode()).hexdigest()[:8], 16) / 16 ** 8
    return min(1.0, 2 * level_share.get(int(record["difficulty"]), 0.0) * fraction)


def with_answer(record: dict, wrong: int) -> dict:
    """The record with `wrong` as its answer and in its solution's box."""
    solution = record["solution"].replace(f"\\boxed{{{record['answer']}}}", f"\\boxed{{{wrong}}}")
    return {**record, "answer": str(wrong), "solution": solution}


def sft_dataset(settings: PromptSettings, config: WarmStartConfig, exclude: set[str]):
    """Conversational prompt-completion rows (TRL's format) of problems not in `exclude`."""
    import datasets

    from gainrl.kit.synthetic import generate_problems

    records = generate_problems(config.steps * config.batch_size, seed=config.seed, difficulties=config.level_mix,
                                exclude=exclude, distinct=False)
    if config.slip_share:
        records = with_slips(records, config.slip_share, config.seed)
    return datasets.Dataset.from_list([
        {"prompt": settings.messages(record["problem"]),
         "completion": [{"role": "assistant", "content": target_text(record, config.completion)}]}
        for record in records])


def warm_start(model_dir: str | Path, out_dir: str | Path, settings: PromptSettings, exclude: set[str],
               config: WarmStartConfig | None = None, log_folder: str | Path | None = None) -> Path:
    """Fine-tune the model in `model_dir` (in float32, on a GPU when there is one) and save model and tokenizer to
    `out_dir`; with `log_folder`, the trainer's per-step dictionaries go to `log_folder/gainrl.log`
    (`gainrl.run_log.steps_to_log_file`)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    config = config or WarmStartConfig()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    arguments = SFTConfig(
        output_dir=str(Path(out_dir) / "sft-checkpoints"), max_steps=config.steps,
        per_device_train_batch_size=config.batch_size, learning_rate=config.learning_rate,
        lr_scheduler_type="cosine", warmup_steps=max(1, config.steps // 20), logging_steps=max(1, config.steps // 8),
        save_strategy="no", report_to="none", bf16=False, seed=config.seed, disable_tqdm=False,
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

    from gainrl.train.rollouts import accuracy_by_group, correctness, generate_completions

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
