"""`gainrl train`: GRPO (TRL) with the GAIN-RL curriculum on an angle-sorted dataset from `gainrl score`.

    gainrl train --config recipes/tiny/gainrl.yaml                      # any field below can be a flag too
    accelerate launch -m gainrl train --config recipes/qwen2.5-0.5b/gsm8k.yaml      # several GPUs

`TrainArguments` is `trl.GRPOConfig` plus the script fields (model, dataset, prompts, rewards) and the curriculum
fields of `gainrl.curriculum.CurriculumSettings`, parsed by `trl.TrlParser` from flags and YAML recipes. The run
writes the final model, `gainrl_sampler_state.json`, `sampler_history.jsonl`, plots and a model card to
`output_dir`; with `push_to_hub` checkpoints go to branches `step-NNNNNN` and the final model to `hub_revision`.

Code tasks: `reward_funcs: [code]` (or `code_partial`) with the fields of
`gainrl.train.code_rewards.CodeRewardArguments`.

What it does not cover: PEFT/LoRA set-up (pass a PEFT model through the Python API), and installing vLLM
(`pip install 'gainrl[vllm]'` on a GPU machine).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field, fields

from trl import GRPOConfig

from gainrl.curriculum import CurriculumSettings
from gainrl.run_log import gainrl_logger, rounded, steps_to_log_file
from gainrl.train.checks import explained_batch_errors, setup_warnings
from gainrl.train.code_rewards import CodeRewardArguments, settle_accuracy_reward, uses_code_reward
from gainrl.train.data import load_training_data
from gainrl.train.rewards import MATH_OPTIONS, resolve_rewards
from gainrl.train.trainer import GainRLTrainer

logger = gainrl_logger(__name__)


def _help(text: str, **extra) -> dict:
    return {"help": text, **extra}


@dataclass
class TrainArguments(GRPOConfig, CodeRewardArguments, CurriculumSettings):
    """`trl.GRPOConfig` plus gainrl's script fields and the curriculum's (`gainrl.curriculum.CurriculumSettings`,
    declared there once), as flags or keys of a YAML recipe."""

    model_name_or_path: str | None = field(default=None, metadata=_help("Policy to train: Hub id or local folder."))
    model_revision: str | None = field(default=None, metadata=_help("Model revision (branch, tag or commit)."))
    dataset_name: str | None = field(default=None, metadata=_help(
        "Angle-sorted dataset written by `gainrl score`: Hub id or local folder."))
    dataset_config: str | None = field(default=None, metadata=_help(
        "Its config (one per scoring model); default: the only one."))
    dataset_split: str | None = field(default=None, metadata=_help("Split (default: the scored split)."))
    dataset_revision: str | None = field(default=None, metadata=_help("Dataset revision on the Hub."))
    answer_field: str = field(default="answer", metadata=_help("Column with the reference answer."))
    system_prompt: str | None = field(default=None, metadata=_help(
        "System prompt; '' for none (default: the one recorded by `gainrl score`)."))
    few_shot: str | None = field(default=None, metadata=_help(
        "JSON file of [user, assistant] pairs, or 'none' (default: the recorded ones)."))
    reward_funcs: list[str] = field(default_factory=lambda: ["accuracy"], metadata=_help(
        "Reward functions: accuracy, format, code, code_partial, or package.module:function."))
    accuracy_reward: str = field(default="accuracy", metadata=_help(
        "The reward whose successes make a round's accuracy."))
    success_threshold: float = field(default=0.5, metadata=_help("A completion is correct when its accuracy "
                                                                 "reward is above this."))
    reward_fallback: bool = field(default=True, metadata=_help(
        "Accuracy reward: without a box or answer marker, read the last math span or number of the completion."))
    reward_float_rounding: int | None = field(default=None, metadata=_help(
        "Accuracy reward: compare decimals rounded to this many places (math-verify's float_rounding)."))
    reward_strict: bool = field(default=True, metadata=_help(
        "Accuracy reward: variable names matter, sets differ from tuples (math-verify's strict)."))
    reward_allow_set_relation_comp: bool = field(default=False, metadata=_help(
        "Accuracy reward: a relation such as 1 < x < 2 may equal a gold interval (math-verify's option)."))
    angle_layer: int | None = field(default=None, metadata=_help(
        "Decoder layer whose MLP input gives the angle signal (default: the scoring layer when the policy is the "
        "scoring model, else the last layer)."))
    curriculum_seed: int | None = field(default=None, metadata=_help("Seed of the curriculum's generator "
                                                                     "(default: seed)."))
    filter_groups: bool = field(default=False, metadata=_help(
        "Group filtering (DAPO's dynamic sampling): replace groups whose accuracy rewards are all equal by groups "
        "of newly drawn prompts from the same curriculum."))
    filter_groups_max_passes: int = field(default=3, metadata=_help("Most extra generation passes per round."))

    def __post_init__(self):
        if self.bf16 is None and not self.fp16 and not _cuda_available():
            self.bf16 = False  # TRL defaults to bf16, which CPUs reject
        with explained_batch_errors():
            super().__post_init__()
        missing = [name for name in ("model_name_or_path", "dataset_name") if not getattr(self, name)]
        if missing:
            raise ValueError(f"gainrl train needs {' and '.join(missing)}")
        if self.use_vllm and importlib.util.find_spec("vllm") is None:
            raise ValueError("use_vllm is set but vLLM is not installed; on a GPU machine run "
                             "`pip install 'gainrl[vllm]'`, or leave use_vllm off (generation then uses transformers)")
        settle_accuracy_reward(self)
        self.curriculum_settings()  # validates the curriculum fields now, not after the model has loaded

    def curriculum_settings(self) -> CurriculumSettings:
        return CurriculumSettings(**{f.name: getattr(self, f.name) for f in fields(CurriculumSettings)})


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def build_trainer(args: TrainArguments, data):
    """The `GainRLTrainer` for `args` on prepared `TrainingData`."""
    from transformers import AutoTokenizer

    if args.model_revision:
        args.model_init_kwargs = {**(args.model_init_kwargs or {}), "revision": args.model_revision}
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path, revision=args.model_revision)
    curriculum = args.curriculum_settings()
    trainer = GainRLTrainer(
        model=args.model_name_or_path, reward_funcs=resolve_rewards(args.reward_funcs, args.answer_field, {
            option: getattr(args, f"reward_{option}") for option in MATH_OPTIONS}, code_settings=args),
        args=args, train_dataset=data.dataset, processing_class=tokenizer,
        curriculum=curriculum, rank_to_row=data.order(curriculum.curriculum), accuracy_reward=args.accuracy_reward,
        success_threshold=args.success_threshold,
        angle_layer=data.provenance.angle_layer_for(args.model_name_or_path, args.angle_layer),
        curriculum_seed=args.seed if args.curriculum_seed is None else args.curriculum_seed,
        filter_groups=args.filter_groups, filter_groups_max_passes=args.filter_groups_max_passes,
        training_data=data)
    return trainer


def resume_target(value: str | None):
    if value is None or value.lower() in ("false", "none", ""):
        return None
    return True if value.lower() in ("true", "last") else value


def run_train(args: TrainArguments):
    """Load and check the data, train, save the final model, plots and card (and push); returns the trainer."""
    data = load_training_data(args.dataset_name, args.dataset_config, args.dataset_split, args.dataset_revision,
                              args.answer_field if "accuracy" in args.reward_funcs else None, args.system_prompt,
                              args.few_shot, args.tests_field if uses_code_reward(args.reward_funcs) else None)
    for line in setup_warnings(args, len(data.dataset)):
        logger.warning(line)
    trainer = build_trainer(args, data)
    steps_to_log_file(trainer, args.output_dir)
    trainer.train(resume_from_checkpoint=resume_target(args.resume_from_checkpoint))
    trainer.save_model(args.output_dir)
    trainer.create_model_card()
    if args.push_to_hub:
        trainer.push_to_hub(commit_message=f"gainrl train: final model ({args.curriculum} curriculum)")
    last = trainer.curriculum.history[-1] if trainer.curriculum.history else {}
    print(f"gainrl train: {trainer.state.global_step} steps, {len(trainer.curriculum.history)} rounds "
          f"({args.curriculum}), last round accuracy {rounded(last.get('accuracy'))}, centre "
          f"{rounded(last.get('next_center'), 1)}; "
          f"saved to {args.output_dir}" + (f", pushed to {trainer.hub_model_id}" if args.push_to_hub else ""))
    return trainer
