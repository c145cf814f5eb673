"""The GAIN-RL curriculum as a verl sampler plug-in, through verl's own (experimental) curriculum-sampler interface.

    data.sampler.class_path=pkg://gainrl.integrations.verl data.sampler.class_name=GainRLSampler
    data.dataloader_num_workers=0  +data.gainrl.rank_units=fraction +data.gainrl.rank_std=0.1 ...

`GainRLSampler` subclasses `verl.experimental.dataset.sampler.AbstractCurriculumSampler` (verl 0.5 to 0.7; verl 0.8
removed that interface). verl's `create_rl_sampler` builds it from `data_config`; its `data.gainrl` block takes the
curriculum fields of `gainrl train` (`curriculum`, `rank_units`, `center_init`, `rank_std`, `center_step`,
`accuracy_sensitivity`, `angle_sensitivity`, `target_accuracy`, `min_shift`, `max_shift`) plus `success_threshold`
and `seed`. Each training step's `train_batch_size` (or `gen_batch_size`) prompts are drawn by
`gainrl.curriculum.CurriculumSampler`, the core `gainrl train` uses (same update rule, clamp and state), over the
dataset's rows ordered by `extra_info.angle_rank` (read from the rows: ranks map to rows by stable id, never by
position). verl calls `update(batch)` after every step: accuracy = share of responses whose summed
`token_level_scores` exceed `success_threshold` (so {0, 1} and other reward scales both work); the next step's
prompts are drawn at the moved centre. `state_dict` / `load_state_dict` carry the centre, generator and history, and
verl saves them with its dataloader checkpoint.

Deviation from the paper, stated plainly: the angle term here is the mean *precomputed* `angle_score` (from
`gainrl score`, in `extra_info`) of the step's prompts, not the concentration of the actor's hidden states over
prompt and response measured during training, as the paper and `gainrl train` do. Those hidden states live inside
verl's actor workers, which a sampler cannot reach. To add the in-training signal, register a forward pre-hook on
`layers[L].mlp` of the actor module in the FSDP worker's `update_actor` (as `gainrl.trainer` does around TRL's loss),
reduce `gainrl.angles.sequence_concentration` over the micro-batches into a metric (e.g. `actor/gainrl_angle`), and
read it from `batch.meta_info["metrics"]` here instead of `angle_score`.

What it does not cover: the `uniform`, `length` and `static` baselines (use verl's own shuffling for uniform), several
dataloader workers (verl forbids them with a curriculum), and verl >= 0.8.
"""

from __future__ import annotations

from collections.abc import Iterator, Sized

from verl.experimental.dataset.sampler import AbstractCurriculumSampler

from gainrl.curriculum import CurriculumSampler, CurriculumSettings

SETTING_FIELDS = ("curriculum", "rank_units", "center_init", "rank_std", "center_step", "accuracy_sensitivity",
                  "angle_sensitivity", "target_accuracy", "min_shift", "max_shift")


def curriculum_settings(block: dict) -> CurriculumSettings:
    unknown = sorted(set(block) - set(SETTING_FIELDS) - {"success_threshold", "seed"})
    if unknown:
        raise ValueError(f"data.gainrl: unknown keys {unknown}; known: {sorted(SETTING_FIELDS)} + success_threshold, "
                         "seed")
    settings = CurriculumSettings(**{name: block[name] for name in SETTING_FIELDS if name in block})
    if settings.curriculum not in ("gainrl", "static"):
        raise ValueError(f"data.gainrl.curriculum: GainRLSampler draws 'gainrl' or 'static', not "
                         f"{settings.curriculum!r} (for uniform, use verl's own data.shuffle)")
    return settings


def row_extra_info(data_source: Sized) -> list[dict]:
    """Each row's `extra_info`, read without tokenizing (verl's RLHFDataset keeps its rows in `.dataframe`)."""
    frame = getattr(data_source, "dataframe", None)
    if frame is not None and "extra_info" in frame.column_names:
        return list(frame["extra_info"])
    return [data_source[position]["extra_info"] for position in range(len(data_source))]


def rank_to_position(extra_infos: list[dict]) -> tuple[list[int], list[float]]:
    """Positions ordered by `angle_rank` (ranks left out by filtering are skipped), and each position's score."""
    seen: dict[int, str] = {}
    for position, info in enumerate(extra_infos):
        if not isinstance(info, dict) or "angle_rank" not in info or "angle_score" not in info:
            raise ValueError(f"dataset row {position}: extra_info needs 'angle_rank' and 'angle_score' (write the "
                             "parquet with gainrl.integrations.verl_data.to_verl_parquet)")
        rank = int(info["angle_rank"])
        if rank in seen:
            raise ValueError(f"dataset row {position} (id {info.get('id')!r}): angle_rank {rank} repeats id "
                             f"{seen[rank]!r}")
        seen[rank] = info.get("id")
    order = sorted(range(len(extra_infos)), key=lambda position: int(extra_infos[position]["angle_rank"]))
    return order, [float(info["angle_score"]) for info in extra_infos]


def batch_accuracy(batch, threshold: float) -> float:
    """Share of the batch's responses whose summed token-level score is above `threshold`."""
    key = "token_level_scores" if "token_level_scores" in batch.batch.keys() else "token_level_rewards"
    scores = batch.batch[key].sum(dim=-1)
    return float((scores > threshold).float().mean())


class GainRLSampler(AbstractCurriculumSampler):
    """verl sampler: each step's prompts drawn by the GAIN-RL curriculum, the centre moved by `update`."""

    def __init__(self, data_source: Sized, data_config):
        block = dict(data_config.get("gainrl") or {})
        self.settings = curriculum_settings(block)
        self.success_threshold = float(block.get("success_threshold", 0.5))
        self.positions, self.angle_scores = rank_to_position(row_extra_info(data_source))
        self.prompts_per_step = int(data_config.get("gen_batch_size") or data_config.train_batch_size)
        if not 0 < self.prompts_per_step <= len(self.positions):
            raise ValueError(f"train_batch_size {self.prompts_per_step} must lie in [1, {len(self.positions)}] rows")
        self.curriculum = CurriculumSampler(len(self.positions), self.prompts_per_step, self.settings,
                                            seed=int(block.get("seed", data_config.get("seed") or 0)))
        self.steps_per_epoch = len(self.positions) // self.prompts_per_step
        self.current: list[int] = []

    def __len__(self) -> int:
        return self.steps_per_epoch * self.prompts_per_step

    def __iter__(self) -> Iterator[int]:
        for _ in range(self.steps_per_epoch):
            self.current = [self.positions[rank] for rank in self.curriculum.draw_round()]
            yield from self.current

    def update(self, batch) -> None:
        if self.curriculum.pending is None:
            return  # no step drawn since the last update (e.g. verl validated without training)
        angle = sum(self.angle_scores[position] for position in self.current) / len(self.current)
        step = int(batch.meta_info.get("global_steps", len(self.curriculum.history) + 1))
        self.curriculum.finish_round(batch_accuracy(batch, self.success_threshold), angle, step)

    def state_dict(self) -> dict:
        return {**self.curriculum.state_dict(), "current": list(self.current)}

    def load_state_dict(self, state: dict) -> None:
        self.curriculum.load_state_dict(state)
        self.current = list(state.get("current", []))
