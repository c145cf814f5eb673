"""Synthetic arithmetic problems of graded difficulty, with exact answers, seeded and reproducible.

Records follow the schema of the real data in `shared/data`: `problem`, `answer` (a string), `solution` (worked
steps ending in `\\boxed{answer}`) and `difficulty` (the level, 1.0 = easiest ... 5.0 = hardest, a float as in
MATH). Problems are short expressions written with digits (the tiny models' tokenizer gives every digit its own token), in
one of a few phrasings ("What is 37 + 5?", "Compute 37 + 5.", ...), so that a tiny model can answer them with a few
tokens (`37 + 5 = 42. The answer is \\boxed{42}.`). Level by level they need more carries, larger numbers or more steps:

    1: one addition of single-digit numbers            4: one addition or subtraction of two-digit numbers
    2: one multiplication, 2-12 times 2-9              5: two steps of + or - with two-digit numbers
    3: a two-digit number plus or minus a digit

What it does not cover: language variety beyond the few phrasings, fractions, decimals or negative answers (every
intermediate result is a non-negative integer), and any claim that level maps to difficulty for a particular model;
it only orders the arithmetic. Distinct problems are distinct texts: on the small levels (81 single-digit sums) the
same sum recurs in other phrasings, so a held-out level-1 problem is new text, not new arithmetic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."

PHRASINGS = ("What is {expression}?", "Compute {expression}.", "{expression} = ?", "Find {expression}.")


@dataclass(frozen=True)
class Level:
    """How one difficulty level is built: number of steps, operand ranges, allowed operations."""

    steps: int
    first: tuple[int, int]
    operand: tuple[int, int]
    operations: str


LEVELS = {
    1: Level(steps=1, first=(1, 9), operand=(1, 9), operations="+"),
    2: Level(steps=1, first=(2, 12), operand=(2, 9), operations="*"),
    3: Level(steps=1, first=(10, 99), operand=(1, 9), operations="+-"),
    4: Level(steps=1, first=(10, 99), operand=(10, 99), operations="+-"),
    5: Level(steps=2, first=(10, 99), operand=(10, 99), operations="+-"),
}


def _step(rng: random.Random, total: int, level: Level) -> tuple[str, int]:
    """Pick one operation and operand that keep the running total a non-negative integer."""
    operation = rng.choice(level.operations)
    low, high = level.operand
    if operation == "-" and total < low:
        operation = "+"
    operand = rng.randint(low, min(total, high)) if operation == "-" else rng.randint(low, high)
    return operation, operand


def _apply(total: int, operation: str, operand: int) -> int:
    return {"+": total + operand, "-": total - operand, "*": total * operand}[operation]


def make_problem(rng: random.Random, difficulty: int) -> dict:
    """One record at the given level (1-5)."""
    level = LEVELS[difficulty]
    total = rng.randint(*level.first)
    expression, steps = str(total), []
    for _ in range(level.steps):
        operation, operand = _step(rng, total, level)
        result = _apply(total, operation, operand)
        expression += f" {operation} {operand}"
        steps.append(f"{total} {operation.replace('*', 'x')} {operand} = {result}.")
        total = result
    problem = rng.choice(PHRASINGS).format(expression=expression)
    solution = " ".join(steps) + f" The answer is \\boxed{{{total}}}."
    return {"problem": problem, "answer": str(total), "solution": solution, "difficulty": float(difficulty)}


def generate_problems(count: int, seed: int = 0, difficulties: tuple[int, ...] = (1, 2, 3, 4, 5),
                      exclude: set[str] | None = None, distinct: bool = True) -> list[dict]:
    """`count` problems, distinct unless `distinct` is False, levels cycled in order so every level gets a
    near-equal share.

    Problems whose text is in `exclude` are skipped, so a test split can be kept disjoint from training.
    """
    unknown = set(difficulties) - set(LEVELS)
    if unknown:
        raise ValueError(f"difficulties {sorted(unknown)} are not levels; choose from {sorted(LEVELS)}")
    rng, seen, records = random.Random(seed), set(exclude or ()), []
    attempts = 0
    while len(records) < count:
        attempts += 1
        if attempts > 20 * count + 1000:
            raise ValueError(f"cannot make {count} distinct problems at levels {difficulties}")
        record = make_problem(rng, difficulties[len(records) % len(difficulties)])
        if record["problem"] not in seen:
            if distinct:
                seen.add(record["problem"])
            records.append(record)
    return records


def prompt_settings():
    """How the quickstart prompts these problems everywhere (warm start, scoring, training, `gainrl_synthetic`):
    this system message and the bare question, no few-shot (short prompts keep CPU runs fast)."""
    from gainrl.prompts import PromptSettings

    return PromptSettings(system_prompt=SYSTEM_PROMPT, few_shot=())


def train_test_records(train_size: int, test_size: int, seed: int = 0) -> dict[str, list[dict]]:
    """A training split and a disjoint held-out test split."""
    train = generate_problems(train_size, seed=seed)
    test = generate_problems(test_size, seed=seed + 1, exclude={r["problem"] for r in train})
    return {"train": train, "test": test}
