"""The GAIN-RL curriculum, free of any training framework: a Gaussian sampler over an angle-sorted ranking whose
centre moves with each round's accuracy and angle signal.

Each round draws K distinct ranks in [0, N) with probability proportional to exp(-((r - center) / rank_std)^2 / 2),
without replacement, from a dedicated seeded generator (Gumbel top-k on the log weights: exact successive sampling
without replacement, and no underflow however far the centre lies from the data). After the round,

    shift = clip(center_step * tanh(accuracy_sensitivity * (accuracy - target_accuracy))
                 + center_step * tanh(angle_sensitivity * angle), min_shift, max_shift)
    next_center = clamp(center + shift, 0, N - 1)

and the next round is drawn at `next_center` (no lag). `accuracy` is a fraction in [0, 1]; callers average it and
`angle` over all processes first, so every process holds the same state and draws the same ranks. The `static`
curriculum keeps the centre at `center_init`; under `uniform` the trainer's own sampler chooses and the rounds
are only recorded (`observe_round`), so every curriculum leaves the same history. Group filtering draws more
prompts within a round (`draw_more`: same centre, the round's prompts excluded; uniform weights under `uniform`)
from the same generator, so its state covers them too. `rank_units="fraction"` reads
`center_init`, `rank_std`, `center_step`, `min_shift` and `max_shift` as fractions of N.

What it does not cover: mapping ranks to dataset rows (the adapters do that, by the scored dataset's order or by
prompt length), measuring accuracy and angle, and drawing `uniform` rounds (TRL's own shuffled sampler does).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

CURRICULA = ("gainrl", "uniform", "length", "static")
RANK_UNITS = ("rows", "fraction")
SCALED_FIELDS = ("center_init", "rank_std", "center_step", "min_shift", "max_shift")
STATE_FILE = "gainrl_sampler_state.json"


@dataclass
class CurriculumSettings:
    """The curriculum's parameters, declared once: `gainrl train`'s `TrainArguments` inherits them and the verl
    plug-ins read them from `data.gainrl`. Defaults are the paper's (symbols as in its update rule).

    Which curriculum
        curriculum: gainrl (Gaussian window whose centre moves), uniform, length (shortest prompt first) or static
            (fixed centre).
        rank_units: rows, or fraction (the rank quantities below are fractions of the dataset size N).

    Sampling: each round draws K ranks with probability ~ exp(-((r - mu) / sigma)^2 / 2)
        center_init (mu_0): initial centre rank.
        rank_std (sigma): width of the Gaussian window, in ranks.

    Centre update: mu <- clamp(mu + clip(n tanh(alpha_acc (acc - beta)) + n tanh(alpha_angle angle), lo, hi), 0, N-1)
        center_step (n): step size of both tanh terms.
        accuracy_sensitivity (alpha_acc): slope of the accuracy term (the paper's alpha).
        angle_sensitivity (alpha_angle): slope of the angle term (the paper uses the same alpha for both).
        target_accuracy (beta): accuracy at which the accuracy term is zero.
        min_shift (lo, the reference's adj_min): smallest shift per round (0: never moves back).
        max_shift (hi, adj_max): largest shift per round.
    """

    curriculum: str = field(default="gainrl", metadata={
        "help": "gainrl, uniform (TRL's shuffled sampling), length (shortest prompt first) or static (fixed centre).",
        "choices": list(CURRICULA)})
    center_init: float = field(default=0.0, metadata={"help": "Initial centre rank (mu_0)."})
    rank_std: float = field(default=1000.0, metadata={"help": "Width of the Gaussian window, in ranks (sigma)."})
    center_step: float = field(default=500.0, metadata={"help": "Step size of both tanh terms of the shift (n)."})
    accuracy_sensitivity: float = field(default=2.0, metadata={"help": "Slope of the accuracy term (alpha)."})
    angle_sensitivity: float = field(default=2.0, metadata={"help": "Slope of the angle term (alpha)."})
    target_accuracy: float = field(default=0.5, metadata={"help": "Accuracy at which the accuracy term is zero "
                                                                  "(beta)."})
    min_shift: float = field(default=0.0, metadata={"help": "Smallest shift per round (0: never moves back)."})
    max_shift: float = field(default=1000.0, metadata={"help": "Largest shift per round."})
    rank_units: str = field(default="rows", metadata={
        "help": "rows, or fraction: centre_init, rank_std, center_step and the shifts are fractions of the dataset "
                "size.", "choices": list(RANK_UNITS)})

    def __post_init__(self):
        if self.curriculum not in CURRICULA:
            raise ValueError(f"curriculum must be one of {CURRICULA}, got {self.curriculum!r}")
        if self.rank_units not in RANK_UNITS:
            raise ValueError(f"rank_units must be one of {RANK_UNITS}, got {self.rank_units!r}")
        if self.rank_std <= 0:
            raise ValueError(f"rank_std must be positive, got {self.rank_std}")
        if self.min_shift > self.max_shift:
            raise ValueError(f"min_shift ({self.min_shift}) exceeds max_shift ({self.max_shift})")
        if not 0.0 <= self.target_accuracy <= 1.0:
            raise ValueError(f"target_accuracy must lie in [0, 1], got {self.target_accuracy}")

    def in_rows(self, rows: int) -> "CurriculumSettings":
        """The same settings with every rank quantity in rows of a dataset of `rows` prompts."""
        if self.rank_units == "rows":
            return self
        return replace(self, rank_units="rows", **{name: getattr(self, name) * rows for name in SCALED_FIELDS})


def log_weights(rows: int, center: float, rank_std: float) -> np.ndarray:
    ranks = np.arange(rows, dtype=np.float64)
    return -0.5 * ((ranks - center) / rank_std) ** 2


def draw_ranks(generator: np.random.Generator, rows: int, count: int, center: float | None, rank_std: float,
               exclude: list[int] = ()) -> list[int]:
    """`count` distinct ranks not in `exclude`, drawn successively with probability proportional to the Gaussian
    weights (equal weights when `center` is None)."""
    if not 0 < count <= rows - len(set(exclude)):
        raise ValueError(f"cannot draw {count} distinct prompts from {rows} ({len(set(exclude))} excluded)")
    weights = np.zeros(rows) if center is None else log_weights(rows, center, rank_std)
    weights[list(exclude)] = -np.inf
    keys = weights + generator.gumbel(size=rows)
    chosen = np.argpartition(-keys, count - 1)[:count]
    return [int(rank) for rank in chosen[np.argsort(-keys[chosen], kind="stable")]]


def center_shift(settings: CurriculumSettings, accuracy: float, angle: float) -> float:
    raw = (settings.center_step * math.tanh(settings.accuracy_sensitivity * (accuracy - settings.target_accuracy))
           + settings.center_step * math.tanh(settings.angle_sensitivity * angle))
    return float(min(max(raw, settings.min_shift), settings.max_shift))


class CurriculumSampler:
    """Draws each round's ranks and moves the centre after it; its state makes a resumed run draw identically."""

    def __init__(self, rows: int, prompts_per_round: int, settings: CurriculumSettings, seed: int = 0) -> None:
        self.rows, self.prompts_per_round = rows, prompts_per_round
        self.settings = settings.in_rows(rows)
        self.center = float(min(max(self.settings.center_init, 0.0), rows - 1))
        self.generator = np.random.default_rng(seed)
        self.history: list[dict] = []
        self.pending: dict | None = None

    def draw_round(self) -> list[int]:
        """The next round's ranks (the same round's ranks again until `finish_round` is called)."""
        if self.settings.curriculum == "uniform":
            raise ValueError("the uniform curriculum draws with the trainer's own sampler; use observe_round")
        if self.pending is None:
            ranks = draw_ranks(self.generator, self.rows, self.prompts_per_round, self.center, self.settings.rank_std)
            self.pending = {"round": len(self.history), "center": self.center, "ranks": ranks}
        return list(self.pending["ranks"])

    def draw_more(self, count: int, exclude: list[int]) -> list[int]:
        """`count` more ranks for the pending round (group filtering), at the same centre (uniformly under
        `uniform`), none in `exclude`."""
        if self.pending is None:
            raise RuntimeError("draw_more called outside a round")
        return draw_ranks(self.generator, self.rows, count, self.pending["center"], self.settings.rank_std, exclude)

    def observe_round(self, ranks: list[int]) -> None:
        """`uniform` only: record the ranks the trainer's own sampler chose for this round (no centre)."""
        if self.settings.curriculum != "uniform":
            raise ValueError(f"observe_round is for the uniform curriculum, not {self.settings.curriculum!r}")
        if self.pending is None:
            self.pending = {"round": len(self.history), "center": None, "ranks": [int(rank) for rank in ranks]}

    def finish_round(self, accuracy: float, angle: float, global_step: int, **details) -> dict:
        """Record the round's signals (and `details`, e.g. generated tokens) and move the centre; returns the
        history entry (centre, shift and next centre are None under `uniform`, which has no centre)."""
        if self.pending is None:
            raise RuntimeError("finish_round called before draw_round")
        if not 0.0 <= accuracy <= 1.0 or not math.isfinite(angle):
            raise ValueError(f"accuracy must lie in [0, 1] and angle be finite, got {accuracy}, {angle}")
        entry = {**self.pending, "global_step": int(global_step), "accuracy": float(accuracy), "angle": float(angle),
                 "shift": None, "next_center": None, **details}
        if self.settings.curriculum != "uniform":
            shift = 0.0 if self.settings.curriculum == "static" else center_shift(self.settings, accuracy, angle)
            self.center = float(min(max(self.center + shift, 0.0), self.rows - 1))
            entry.update(shift=shift, next_center=self.center)
        self.history.append(entry)
        self.pending = None
        return entry

    def state_dict(self) -> dict:
        return {"center": self.center, "rng_state": self.generator.bit_generator.state, "history": self.history,
                "pending": self.pending, "rows": self.rows, "prompts_per_round": self.prompts_per_round,
                "settings": asdict(self.settings)}

    def load_state_dict(self, state: dict) -> None:
        if state.get("rows", self.rows) != self.rows:
            raise ValueError(f"sampler state is for {state['rows']} prompts, this dataset has {self.rows}")
        self.center = float(state["center"])
        self.generator.bit_generator.state = state["rng_state"]
        self.history = list(state["history"])
        self.pending = state.get("pending")

    def save(self, folder: str | os.PathLike) -> Path:
        """Write `gainrl_sampler_state.json` into `folder` atomically."""
        path = Path(folder) / STATE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
            json.dump(self.state_dict(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
        return path

    def load(self, folder: str | os.PathLike) -> None:
        self.load_state_dict(json.loads((Path(folder) / STATE_FILE).read_text(encoding="utf-8")))
