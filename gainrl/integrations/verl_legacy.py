"""The GAIN-RL curriculum as a verl 0.5-0.7 sampler plug-in, through verl's own (experimental) curriculum-sampler
interface, which verl 0.8 removed (for verl 0.9 see gainrl/integrations/verl_v1.py).

    data.sampler.class_path=pkg://gainrl.integrations.verl data.sampler.class_name=GainRLSampler
    data.dataloader_num_workers=0  +data.gainrl.rank_units=fraction +data.gainrl.rank_std=0.1 ...

`GainRLSampler` subclasses `verl.experimental.dataset.sampler.AbstractCurriculumSampler`; verl's
`create_rl_sampler` builds it from `data_config`. Each training step's `train_batch_size` (or `gen_batch_size`)
prompts are drawn by `gainrl.integrations.verl_curriculum.CurriculumRows` (ranks mapped to rows by stable id).
verl calls `update(batch)` after every step: accuracy = share of responses whose summed `token_level_scores` exceed
`success_threshold` (so {0, 1} and other reward scales both work); the next step's prompts are drawn at the moved
centre. `state_dict` / `load_state_dict` travel in verl's dataloader checkpoint.

What it does not cover: several dataloader workers (verl forbids them with a curriculum), and verl >= 0.8.
"""

from __future__ import annotations

from collections.abc import Sized

from verl.experimental.dataset.sampler import AbstractCurriculumSampler

from gainrl.integrations.verl_curriculum import CurriculumRows


def batch_accuracy(batch, threshold: float) -> float:
    """Share of the batch's responses whose summed token-level score is above `threshold`."""
    key = "token_level_scores" if "token_level_scores" in batch.batch.keys() else "token_level_rewards"
    scores = batch.batch[key].sum(dim=-1)
    return float((scores > threshold).float().mean())


class GainRLSampler(CurriculumRows, AbstractCurriculumSampler):
    """verl sampler: each step's prompts drawn by the GAIN-RL curriculum, the centre moved by `update`."""

    def __init__(self, data_source: Sized, data_config):
        prompts = int(data_config.get("gen_batch_size") or data_config.train_batch_size)
        super().__init__(data_source, dict(data_config.get("gainrl") or {}), prompts,
                         default_seed=data_config.get("seed") or 0)

    def update(self, batch) -> None:
        step = int(batch.meta_info.get("global_steps", len(self.curriculum.history) + 1))
        self.close_round(batch_accuracy(batch, self.success_threshold), step)
