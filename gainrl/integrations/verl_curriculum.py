"""The GAIN-RL curriculum over a verl dataset's rows, shared by both verl plug-ins and free of verl itself.

`CurriculumRows` is a stateful sampler for a dataloader over verl's `RLHFDataset`: each round it draws
`prompts_per_round` ranks with `gainrl.curriculum.CurriculumSampler` (the core `gainrl train` uses: same update
rule, clamp and state) and yields the rows holding those ranks, found through each row's `extra_info.angle_rank`
(written by `gainrl export-verl`), never by position, so verl's length filter or a reordered parquet cannot
misalign them. A round is closed with `close_round(accuracy, global_step)`; until then, asking for rows again
yields the same round (a refill of a failed round regenerates the same prompts). The angle term is the mean
precomputed `angle_score` of the round's rows. `state_dict` / `load_state_dict` (centre, generator, history, the
current round) are plain data, so they ride in verl's dataloader checkpoint (`data.pt`).

Settings come from a `data.gainrl` block with the field names of `gainrl train` (`curriculum`, `rank_units`,
`center_init`, `rank_std`, `center_step`, `accuracy_sensitivity`, `angle_sensitivity`, `target_accuracy`,
`min_shift`, `max_shift`) plus `success_threshold` and `seed`.

What it does not cover: reading rewards out of verl's batches (the plug-ins do), the `uniform` and `length`
curricula, and the angle of the actor's own hidden states during training (see gainrl/integrations/verl.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sized
from dataclasses import fields

from gainrl.curriculum import CurriculumSampler, CurriculumSettings

SETTING_FIELDS = tuple(item.name for item in fields(CurriculumSettings))
EXTRA_FIELDS = ("success_threshold", "seed")


def curriculum_settings(block: dict) -> CurriculumSettings:
    unknown = sorted(set(block) - set(SETTING_FIELDS) - set(EXTRA_FIELDS))
    if unknown:
        raise ValueError(f"data.gainrl: unknown keys {unknown}; known: {sorted(SETTING_FIELDS)} + success_threshold, "
                         "seed")
    settings = CurriculumSettings(**{name: block[name] for name in SETTING_FIELDS if name in block})
    if settings.curriculum not in ("gainrl", "static"):
        raise ValueError(f"data.gainrl.curriculum: the verl plug-in draws 'gainrl' or 'static', not "
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
                             "parquet with gainrl export-verl)")
        rank = int(info["angle_rank"])
        if rank in seen:
            raise ValueError(f"dataset row {position} (id {info.get('id')!r}): angle_rank {rank} repeats id "
                             f"{seen[rank]!r}")
        seen[rank] = info.get("id")
    order = sorted(range(len(extra_infos)), key=lambda position: int(extra_infos[position]["angle_rank"]))
    return order, [float(info["angle_score"]) for info in extra_infos]


class CurriculumRows:
    """Yields each round's dataset positions, drawn by the GAIN-RL curriculum; `close_round` moves the centre."""

    def __init__(self, data_source: Sized, block: dict, prompts_per_round: int, default_seed: int = 0):
        self.settings = curriculum_settings(block)
        self.success_threshold = float(block.get("success_threshold", 0.5))
        self.positions, self.angle_scores = rank_to_position(row_extra_info(data_source))
        self.prompts_per_round = int(prompts_per_round)
        if not 0 < self.prompts_per_round <= len(self.positions):
            raise ValueError(f"train_batch_size {self.prompts_per_round} must lie in [1, {len(self.positions)}] rows")
        seed = block.get("seed")
        self.curriculum = CurriculumSampler(len(self.positions), self.prompts_per_round, self.settings,
                                            seed=int(default_seed if seed is None else seed))
        self.rounds_per_epoch = len(self.positions) // self.prompts_per_round
        self.current: list[int] = []

    def __len__(self) -> int:
        return self.rounds_per_epoch * self.prompts_per_round

    def __iter__(self) -> Iterator[int]:
        for _ in range(self.rounds_per_epoch):
            self.current = [self.positions[rank] for rank in self.curriculum.draw_round()]
            yield from self.current

    def close_round(self, accuracy: float, global_step: int) -> dict | None:
        """Record the round's accuracy (and its rows' mean angle score) and move the centre; None when no round
        is open (e.g. verl validated without training)."""
        if self.curriculum.pending is None:
            return None
        angle = sum(self.angle_scores[position] for position in self.current) / len(self.current)
        return self.curriculum.finish_round(accuracy, angle, global_step)

    def state_dict(self) -> dict:
        return {**self.curriculum.state_dict(), "current": list(self.current)}

    def load_state_dict(self, state: dict) -> None:
        self.curriculum.load_state_dict(state)
        self.current = list(state.get("current", []))
