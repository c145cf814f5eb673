"""The GAIN-RL curriculum on verl 0.9: `GainRLTrainer`, verl's synchronous v1 trainer registered as "gainrl".

    VERL_USE_EXTERNAL_MODULES=gainrl.integrations.verl python3 -m verl.trainer.main_ppo \
        trainer.v1.trainer_mode=gainrl \
        +ray_kwargs.ray_init.runtime_env.env_vars.VERL_USE_EXTERNAL_MODULES=gainrl.integrations.verl \
        data.dataloader_num_workers=0 +data.gainrl.rank_units=fraction +data.gainrl.rank_std=0.1 ...

verl 0.9 builds the trainer inside a Ray actor (`TaskRunnerV1`) with `get_trainer_cls(trainer.v1.trainer_mode)`;
importing this module registers the class there. `import verl` imports the modules named in
`VERL_USE_EXTERNAL_MODULES`, and the `ray_kwargs...env_vars` override hands that variable to every Ray worker
(verl's own runtime env does not forward it; on a cluster started with `ray start` the launch shell's variable
never reaches the workers).

How it hooks in (verl's code is subclassed, not copied):
* Prompts. `_init_dataloader` keeps verl's datasets and replaces the training dataloader's sampler by
  `gainrl.integrations.verl_curriculum.CurriculumRows`: each step's `train_batch_size` prompts are the rows the
  curriculum draws (ranks mapped to rows by stable id). The synchronous trainer fetches a step's prompts at the
  start of the step (`prepare_step`), after the previous round closed, so nothing lags.
* Round. `step` runs verl's step, then, before `fit` clears the step from TransferQueue, reads the step's
  `rm_scores` (`tq.kv_batch_get`), skips verl's padding rows, and closes the round: accuracy = share of responses
  whose summed score exceeds `success_threshold`. The round goes to the logs as `curriculum/*`.
* State. The sampler's state rides in the dataloader's `state_dict`, which verl writes to `data.pt` in every
  checkpoint and loads on resume.
* Refused, with an error naming the setting: `algorithm.filter_groups` and `trainer.v1.sampler.
  sync_refill_failed_groups` (single-prompt refills after the rewards), a `gen_batch_size` other than
  `train_batch_size`, a custom replay buffer (`trainer.v1.sampler.custom_sampler`), and dataloader workers (their
  read-ahead would draw rounds before the rewards). The asynchronous trainers (`colocate_async`,
  `separate_async`) fetch prompts ahead of the rewards; there is no asynchronous GAIN-RL trainer.

verl's base class branches on `trainer_mode == "sync"`; this trainer answers "sync" there, since it is the
synchronous trainer under another registered name.

What it does not cover: verl 0.5-0.7 (gainrl/integrations/verl_legacy.py), verl's legacy `trainer.use_v1=false`
trainer (which ignores `data.gainrl`), and the in-training angle signal (see gainrl/integrations/verl.py).
"""

from __future__ import annotations

import transfer_queue as tq
from omegaconf import DictConfig
from torchdata.stateful_dataloader import StatefulDataLoader
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils.dataset.rl_dataset import collate_fn

from gainrl.integrations.verl_curriculum import CurriculumRows

TRAINER_NAME = "gainrl"


def unservable_settings(config: DictConfig) -> list[str]:
    """The settings under which the curriculum's fixed-size, reward-ordered rounds cannot hold."""
    data, sampler = config.data, config.trainer.v1.sampler
    problems = []
    if (config.algorithm.get("filter_groups") or {}).get("enable", False):
        problems.append("algorithm.filter_groups.enable=True (refills single prompts after the rewards)")
    if sampler.get("sync_refill_failed_groups", False):
        problems.append("trainer.v1.sampler.sync_refill_failed_groups=True (refills single prompts)")
    if (sampler.get("custom_sampler") or {}).get("path"):
        problems.append("trainer.v1.sampler.custom_sampler (a replay buffer choosing which trajectories train)")
    if data.get("gen_batch_size") not in (None, data.train_batch_size):
        problems.append(f"data.gen_batch_size={data.gen_batch_size} (must be null or train_batch_size)")
    if data.get("dataloader_num_workers", 0) != 0:
        problems.append(f"data.dataloader_num_workers={data.dataloader_num_workers} (must be 0: workers read ahead)")
    if not data.get("gainrl"):
        problems.append("data.gainrl is missing (the curriculum's settings, e.g. +data.gainrl.rank_std=1000)")
    return problems


def step_accuracy(rm_scores, tags: list[dict], threshold: float) -> float:
    """Share of the step's real (not padding) responses whose summed `rm_scores` exceed `threshold`."""
    totals = [float(total) for total in rm_scores.sum(dim=1).tolist()]
    real = [total for total, tag in zip(totals, tags, strict=True) if not tag.get("is_padding", False)]
    if not real:
        raise ValueError("the step holds no responses (only padding): cannot close the curriculum's round")
    return sum(total > threshold for total in real) / len(real)


@register_trainer(TRAINER_NAME)
class GainRLTrainer(PPOTrainerSync):
    """verl's synchronous v1 trainer whose prompts come from the GAIN-RL curriculum."""

    def __init__(self, config: DictConfig):
        problems = unservable_settings(config)
        if problems:
            raise ValueError(f"trainer.v1.trainer_mode={TRAINER_NAME} cannot serve: " + "; ".join(problems))
        super().__init__(config)

    @property
    def trainer_mode(self) -> str:
        return "sync"

    @trainer_mode.setter
    def trainer_mode(self, registered_name: str) -> None:
        self.registered_name = registered_name

    def _init_dataloader(self):
        super()._init_dataloader()
        data = self.config.data
        self.curriculum_rows = CurriculumRows(self.train_dataset, dict(data.gainrl), data.train_batch_size,
                                              default_seed=data.get("seed") or 0)
        self.train_dataloader = StatefulDataLoader(dataset=self.train_dataset, batch_size=data.train_batch_size,
                                                   num_workers=0, drop_last=True, collate_fn=collate_fn,
                                                   sampler=self.curriculum_rows)

    def step(self, metrics: dict, timing_raw: dict):
        batch = super().step(metrics, timing_raw)
        metrics.update(self.close_curriculum_round(batch))
        return batch

    def close_curriculum_round(self, batch) -> dict:
        """Close the round from the step's `rm_scores` in TransferQueue; returns its `curriculum/*` metrics."""
        data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["rm_scores"])
        return self.close_round_from_scores(data["rm_scores"], batch.tags)

    def close_round_from_scores(self, rm_scores, tags: list[dict]) -> dict:
        accuracy = step_accuracy(rm_scores, tags, self.curriculum_rows.success_threshold)
        entry = self.curriculum_rows.close_round(accuracy, self.global_steps)
        if entry is None:
            return {}
        names = ("accuracy", "angle", "center", "shift", "next_center")
        return {f"curriculum/{name}": entry[name] for name in names if entry[name] is not None}
