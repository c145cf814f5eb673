"""Checks of a `gainrl train` set-up against its data, before any model work: batch sizes TRL refuses (explained
with the flags to change), and rounds or curriculum widths that leave the curriculum little to do (warnings).

What it does not cover: checking the dataset's records (`gainrl.train.data`) or the curriculum fields' ranges
(`gainrl.curriculum.CurriculumSettings`).
"""

from __future__ import annotations

from contextlib import contextmanager

from gainrl.user_errors import UserError

MIN_PROMPTS_PER_ROUND = 4
WIDE_FRACTION = 0.25  # a window or a step this share of the dataset (or more) flattens the curriculum


@contextmanager
def explained_batch_errors():
    """Turn TRL's "must be divisible" errors into a `UserError` naming the flags that set the batch."""
    try:
        yield
    except ValueError as error:
        if "divisible" not in str(error):
            raise
        raise UserError(f"{error}\n  a round generates per_device_train_batch_size x processes x "
                        "gradient_accumulation_steps completions (or generation_batch_size), which must be a multiple "
                        "of num_generations: change per_device_train_batch_size, gradient_accumulation_steps or "
                        "num_generations") from None


def setup_warnings(args, rows: int) -> list[str]:
    """Warnings for a set-up that trains, but not as the user likely meant."""
    warnings = []
    per_round = args.generation_batch_size // args.num_generations
    if per_round < MIN_PROMPTS_PER_ROUND:
        warnings.append(
            f"each round draws only {per_round} prompt(s) (generation_batch_size {args.generation_batch_size} / "
            f"num_generations {args.num_generations}), so each round's accuracy, which moves the curriculum, is "
            "noisy; raise per_device_train_batch_size or gradient_accumulation_steps, or lower num_generations "
            f"(at least {MIN_PROMPTS_PER_ROUND} prompts a round; the tiny recipes draw 8)")
    if args.curriculum in ("gainrl", "static") and args.rank_units == "rows":
        wide = {name: getattr(args, name) for name in ("rank_std", "center_step", "max_shift")
                if getattr(args, name) >= WIDE_FRACTION * rows}
        if wide:
            listed = ", ".join(f"{name} {value:g}" for name, value in wide.items())
            warnings.append(
                f"{listed} (in rows) are a quarter or more of this {rows}-row dataset: draws are nearly uniform "
                "and the centre crosses the dataset in a few rounds; set rank_units: fraction (e.g. rank_std 0.1, "
                "center_step 0.05, max_shift 0.1) or scale them to the dataset")
    return warnings
